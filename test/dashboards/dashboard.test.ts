/**
 * The dashboard in real headless Chromium against a real gateway and broker: sign in, live
 * updates from an MQTT lamp, a command from the form acked by the lamp, vendor scoping.
 */
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Harness, PASSWORD, startHarness, startLamp, VENDOR_A } from '../gateway/harness.ts';

let h: Harness;
let browser: Browser;
beforeAll(async () => {
  h = await startHarness();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

async function signIn(username: string): Promise<Page> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${h.base}/dashboard/`);
  await page.fill('#login input[name=username]', username);
  await page.fill('#login input[name=password]', PASSWORD);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#conn.on');
  expect(errors, errors.join('\n')).toEqual([]);
  return page;
}

test('an operator sees every lamp live and dims one from the form', async () => {
  const page = await signIn('operator');
  const lampCount = h.broker.registry.lamps.length;
  expect(await page.locator('#lamps tbody tr').count()).toBe(lampCount);
  expect(await page.locator('#map circle').count()).toBe(lampCount);
  expect(await page.textContent('#who')).toContain('operator');
  const lamp = await startLamp(h, 'DOLL-0007');
  await lamp.publishTelemetry({ actualLevel: 37, activePower: 12.3 });
  const row = page.locator('#lamps tr[data-lamp="DOLL-0007"]');
  await expect.poll(() => row.locator('td').nth(4).textContent(), { timeout: 5000 }).toBe('37');
  expect(await row.locator('td').nth(5).textContent()).toBe('12.3');
  expect(await row.locator('td').nth(3).textContent()).toBe('online');

  await page.selectOption('#command select[name=kind]', 'lamp');
  await page.fill('#command input[name=id]', 'DOLL-0007');
  await page.fill('#command input[name=level]', '20');
  await page.click('#command button[type=submit]');
  await expect
    .poll(() => page.locator('#commands tbody tr td').nth(2).textContent(), { timeout: 5000 })
    .toBe('acked');
  expect(lamp.received.at(-1)).toMatchObject({ type: 'override', level: 20, issuedBy: 'operator' });

  // a bad command shows the failing path
  await page.fill('#command input[name=id]', 'no such lamp!');
  await page.click('#command button[type=submit]');
  await expect
    .poll(() => page.textContent('#command-error'), { timeout: 5000 })
    .toContain('target.lampId');
  await lamp.stop();
  await page.close();
});

test('a vendor sees only their own lamps and no command form', async () => {
  const page = await signIn('vendor');
  const own = h.broker.registry.lampsOfVendor(VENDOR_A).length;
  expect(await page.locator('#lamps tbody tr').count()).toBe(own);
  expect(await page.isHidden('#command-card')).toBe(true);
  const vendors = await page.locator('#lamps tbody tr td:nth-child(3)').allTextContents();
  expect(new Set(vendors)).toEqual(new Set([VENDOR_A]));
  await page.close();
});

test('a wrong password shows an error and no data', async () => {
  const page = await browser.newPage();
  await page.goto(`${h.base}/dashboard/`);
  await page.fill('#login input[name=username]', 'viewer');
  await page.fill('#login input[name=password]', 'not the password');
  await page.click('#login button[type=submit]');
  await expect.poll(() => page.textContent('#login-error')).toContain('wrong username or password');
  expect(await page.isHidden('#main')).toBe(true);
  await page.close();
});

test('when its session is revoked the dashboard asks to sign in again instead of retrying', async () => {
  const page = await signIn('viewer');
  const token = await page.evaluate(() => sessionStorage.getItem('gadelys.token'));
  expect(token).toBeTruthy();
  // Signed out elsewhere: the token dies; the gateway's sweep closes the open socket.
  const out = await fetch(`${h.base}/api/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(out.status).toBeLessThan(300);
  await expect
    .poll(() => page.textContent('#login-error'), { timeout: 10_000 })
    .toContain('session has ended');
  expect(await page.isHidden('#main')).toBe(true);
  expect(await page.isVisible('#login')).toBe(true);
  expect(await page.evaluate(() => sessionStorage.getItem('gadelys.token'))).toBeNull();
  await page.close();
});

/**
 * The web app in real headless Chromium against a real gateway and broker: how it is served,
 * sign in and out, and a dead session bringing back the sign-in form.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DASHBOARD_CSP } from '../../services/gateway/static.ts';
import { type Harness, PASSWORD, startHarness } from '../gateway/harness.ts';
import { launchChromium, openPage, screenshot, signInAs } from './browser.ts';

let h: Harness;
let browser: Browser;
beforeAll(async () => {
  h = await startHarness();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

test('the page is never cached, its hashed assets always are, and it cannot be framed', async () => {
  const page = await fetch(`${h.base}/dashboard/`);
  expect(page.status).toBe(200);
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
  expect(DASHBOARD_CSP).toContain("frame-ancestors 'none'");
  expect(page.headers.get('x-frame-options')).toBe('DENY');
  const html = await page.text();
  const assets = [...html.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map(
    (m) => m[1]!,
  );
  expect(assets.some((a) => /main-[A-Z0-9]+\.js$/.test(a))).toBe(true);
  expect(assets.some((a) => /main-[A-Z0-9]+\.css$/.test(a))).toBe(true);
  // nothing from another origin
  expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
  for (const a of assets) {
    const res = await fetch(`${h.base}${a}`);
    expect(res.status, a).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  }
  expect((await fetch(`${h.base}/dashboard/assets/..%2Fmanifest.json`)).status).toBe(404);
  expect((await fetch(`${h.base}/dashboard/assets/nope-1234.js`)).status).toBe(404);
});

test('a wrong password shows an error and no data; the right one opens the route', async () => {
  const { page, errors } = await openPage(browser, `${h.base}/dashboard/`);
  await page.waitForSelector('#sign-in');
  await page.fill('#sign-in input[name=username]', 'viewer');
  await page.fill('#sign-in input[name=password]', 'not the password');
  await page.click('#sign-in button[type=submit]');
  await expect
    .poll(() => page.textContent('#sign-in-error'))
    .toContain('wrong username or password');
  expect(await page.locator('nav a').count()).toBe(0);
  await signInAs(page, 'viewer', PASSWORD);
  expect(await page.textContent('.who')).toContain('viewer');
  expect(await page.locator('nav a[aria-current=page]').textContent()).toBe('Route');
  await screenshot(page, 'signed-in');
  expect(errors, errors.join('\n')).toEqual([]);
  await page.close();
});

test('a deep link asked for before sign-in opens after it', async () => {
  const { page } = await openPage(browser, `${h.base}/dashboard/#/lamp/DOLL-0007`);
  await page.waitForSelector('#sign-in');
  await signInAs(page, 'viewer', PASSWORD);
  await expect.poll(() => page.textContent('h1')).toContain('DOLL-0007');
  expect(new URL(page.url()).hash).toBe('#/lamp/DOLL-0007');
  await page.close();
});

test('when its session is revoked the app asks to sign in again instead of retrying', async () => {
  const { page } = await openPage(browser, `${h.base}/dashboard/`);
  await signInAs(page, 'viewer', PASSWORD);
  const token = await page.evaluate(() => sessionStorage.getItem('gadelys.token'));
  expect(token).toBeTruthy();
  const out = await fetch(`${h.base}/api/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(out.status).toBeLessThan(300);
  // the gateway's sweep closes the open socket; the app goes back to the sign-in form
  await page.waitForSelector('#sign-in', { timeout: 15_000 });
  await expect.poll(() => page.textContent('.notice')).toContain('session has ended');
  expect(await page.evaluate(() => sessionStorage.getItem('gadelys.token'))).toBeNull();
  await page.close();
});

test('signing out ends the session', async () => {
  const { page } = await openPage(browser, `${h.base}/dashboard/`);
  await signInAs(page, 'operator', PASSWORD);
  const token = await page.evaluate(() => sessionStorage.getItem('gadelys.token'));
  await page.click('text=Sign out');
  await page.waitForSelector('#sign-in');
  const me = await fetch(`${h.base}/api/auth/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(me.status).toBe(401);
  await page.close();
});

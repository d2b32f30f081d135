/**
 * The route overview and the first run in Debian's Chromium against the whole simulated lab
 * (broker, processor on DuckDB, gateway, simulator with a failed lamp and a silent one): the
 * first admin created from the start banner's link, every lamp on the canvas with live values,
 * trouble marks, the hover tooltip, a click into the lamp's detail, an alarm acknowledged, a
 * vendor's map, 768 px wide, and axe-core finding no serious or critical violations.
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type SimulatedLab, startSimulatedLab } from '../../scripts/simulatedLab.ts';
import { eventually } from '../helpers/eventually.ts';
import { launchChromium, openPage, screenshot, signInAs } from './browser.ts';

const ADMIN = { username: 'admin', password: 'a first-run password' };
const FAILED = 'DOLL-0042';
const SILENT = 'DOLL-0131';
const WAIT = { timeoutMs: 45_000, intervalMs: 250 };

let lab: SimulatedLab;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  lab = await startSimulatedLab({
    env: {
      SIMULATOR_MODE: 'segment',
      SIMULATOR_FAULTS: `lampFailure:${FAILED} commsLoss:${SILENT}`,
    },
  });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await lab?.stop();
});

/** The test hook's view of the live table and the map. */
function liveState(p: Page) {
  return p.evaluate(() => {
    const g = window.__gadelys!;
    const t = g.app.live.table;
    let withData = 0;
    for (let i = 0; i < t.size; i++) if (!Number.isNaN(t.ts[i]!)) withData += 1;
    return {
      lamps: t.size,
      withData,
      drawn: g.map?.count() ?? -1,
      frames: g.map?.frames() ?? -1,
      alarms: [...g.app.live.alarms.active.values()].map(
        (a) => `${a.type}:${a.lampId ?? a.segmentId}`,
      ),
    };
  });
}

/** RGBA of the lamp canvas at a lamp's position. */
async function pixelAt(p: Page, lampId: string): Promise<number[]> {
  return p.evaluate((id) => {
    const at = window.__gadelys!.map!.pointOf(id)!;
    const c = document.querySelector<HTMLCanvasElement>('canvas.map-lamps')!;
    const k = c.width / c.getBoundingClientRect().width;
    const d = c
      .getContext('2d')!
      .getImageData(Math.round(at.x * k), Math.round(at.y * k), 1, 1).data;
    return [...d];
  }, lampId);
}

async function expectAccessible(p: Page, what: string): Promise<void> {
  const result = await new AxeBuilder({ page: p }).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map(
      (v) => `${what}: ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    ),
  ).toEqual([]);
}

test('first run without a terminal: the banner link creates the admin and signs in; the secret leaves the address', async () => {
  const secret = lab.bootstrapSecret;
  expect(secret).toBeDefined();
  // the link the start banner prints (services/gateway/server.ts)
  ({ page, errors } = await openPage(
    browser,
    `${lab.base}/dashboard/#/first-run?secret=${secret}`,
  ));
  await page.waitForSelector('#first-run');
  expect(page.url()).not.toContain(secret!);
  expect(page.url()).toMatch(/#\/first-run$/);
  await expectAccessible(page, 'first run');
  await page.fill('#first-run input[name=username]', ADMIN.username);
  await page.fill('#first-run input[name=password]', ADMIN.password);
  await page.fill('#first-run input[name=repeat]', 'a different password');
  await page.click('#first-run button[type=submit]');
  await expect.poll(() => page.textContent('#first-run-error')).toContain('differ');
  await page.fill('#first-run input[name=repeat]', ADMIN.password);
  await page.click('#first-run button[type=submit]');
  await page.waitForSelector('.conn[data-state=live]');
  await page.waitForSelector('canvas.map-lamps');
  expect(await page.textContent('.who')).toContain('admin');
  expect(new URL(page.url()).hash).toBe('#/');
  expect(page.url()).not.toContain(secret!);
  expect(await page.evaluate(() => sessionStorage.getItem('gadelys.bootstrap'))).toBeNull();
  // the secret worked once: it is spent
  const again = await fetch(`${lab.base}/api/auth/bootstrap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret, username: 'intruder', password: 'another long password' }),
  });
  expect(again.status).toBeGreaterThanOrEqual(400);
});

test('every lamp is on the map, coloured by level, and its values change live', async () => {
  const full = await eventually(
    'every lamp reporting and both faults raised',
    async () => {
      const s = await liveState(page);
      return s.withData >= s.lamps - 1 &&
        s.alarms.includes(`lampFailure:${FAILED}`) &&
        s.alarms.includes(`commsLost:${SILENT}`)
        ? s
        : undefined;
    },
    WAIT,
  );
  expect(full.lamps).toBe(lab.lampCount);
  expect(full.drawn).toBe(lab.lampCount);
  // a normal lamp: an opaque dot in its level's colour, not the map background
  const normal = await pixelAt(page, 'DOLL-0100');
  expect(normal[3]).toBe(255);
  // the failed lamp: a red triangle; the silent one: a cyan diamond outline around map colour
  const failed = await pixelAt(page, FAILED);
  expect(failed[0]).toBeGreaterThan(200);
  expect(failed[1]).toBeLessThan(120);
  const before = await page.evaluate(() => {
    const t = window.__gadelys!.app.live.table;
    return { ts: t.ts[t.indexOf.get('DOLL-0100')!]!, frames: window.__gadelys!.map!.frames() };
  });
  const after = await eventually(
    'a newer reading of DOLL-0100, drawn',
    async () => {
      const now = await page.evaluate(() => {
        const t = window.__gadelys!.app.live.table;
        return { ts: t.ts[t.indexOf.get('DOLL-0100')!]!, frames: window.__gadelys!.map!.frames() };
      });
      return now.ts > before.ts && now.frames > before.frames ? now : undefined;
    },
    WAIT,
  );
  expect(after.ts).toBeGreaterThan(before.ts);
  // the live frames came as binary columns in the registry's order, and none was refused
  expect(
    await page.evaluate(() => ({
      format: window.__gadelys!.app.live.format(),
      rejected: window.__gadelys!.app.live.rejectedFrames(),
    })),
  ).toEqual({ format: 'binary', rejected: 0 });
  const kw = Number((await page.textContent('#stat-kw'))?.replace(/,/g, ''));
  expect(kw).toBeGreaterThanOrEqual(0);
  expect(await page.textContent('#stat-online')).toContain(`/ ${lab.lampCount}`);
  await screenshot(page, 'overview');
});

test('hovering a lamp shows its values; clicking it opens its detail', async () => {
  const at = (await page.evaluate(() => window.__gadelys!.map!.pointOf('DOLL-0100')))!;
  const box = (await page.locator('canvas.map-lamps').boundingBox())!;
  await page.mouse.move(box.x + at.x, box.y + at.y);
  await page.waitForSelector('#map-tip:not([hidden])');
  const tip = await page.textContent('#map-tip');
  expect(tip).toContain('DOLL-0100');
  expect(tip).toMatch(/Power\s*[\d.,]+ W/);
  expect(tip).toMatch(/Voltage\s*[\d.,]+ V/);
  await screenshot(page, 'overview-hover');
  await page.mouse.click(box.x + at.x, box.y + at.y);
  await expect.poll(() => new URL(page.url()).hash).toBe('#/lamp/DOLL-0100');
  await expect.poll(() => page.textContent('h1')).toContain('DOLL-0100');
  await page.goBack();
  await page.waitForSelector('canvas.map-lamps');
});

test('an active alarm is acknowledged from the list', async () => {
  const item = page.locator(`#alarm-list li[data-alarm="lampFailure:${FAILED}"]`);
  await item.waitFor();
  await item.getByRole('button', { name: /Acknowledge/ }).click();
  await expect
    .poll(() => item.textContent(), { timeout: 10_000 })
    .toContain('Acknowledged by admin');
  const token = await page.evaluate(() => sessionStorage.getItem('gadelys.token'));
  const res = await fetch(`${lab.base}/api/alarms`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { alarms: { alarmId: string; acknowledgedBy?: string }[] };
  expect(body.alarms.find((a) => a.alarmId === `lampFailure:${FAILED}`)?.acknowledgedBy).toBe(
    'admin',
  );
});

test('the overview has no serious accessibility violations and works 768 px wide', async () => {
  await expectAccessible(page, 'overview');
  await page.setViewportSize({ width: 768, height: 1000 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(overflow).toBeLessThanOrEqual(768);
  expect(await page.evaluate(() => window.__gadelys!.map!.count())).toBe(lab.lampCount);
  await screenshot(page, 'overview-768');
  // keyboard: the map takes focus and zooms with +
  await page.focus('canvas.map-lamps');
  const frames = await page.evaluate(() => window.__gadelys!.map!.frames());
  await page.keyboard.press('+');
  await expect
    .poll(() => page.evaluate(() => window.__gadelys!.map!.frames()))
    .toBeGreaterThan(frames);
  expect(errors, errors.join('\n')).toEqual([]);
});

test('a vendor sees only their own lamps on the map', async () => {
  const admin = await page.evaluate(() => sessionStorage.getItem('gadelys.token'));
  const post = (path: string, body: unknown) =>
    fetch(`${lab.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify(body),
    });
  const vendorId = 'nordlys';
  expect(
    (
      await post('/api/users', {
        username: 'vendor',
        password: ADMIN.password,
        role: 'vendor',
        vendorId,
      })
    ).status,
  ).toBe(201);
  const own = lab.gateway.context.registry.lampsOfVendor(vendorId).length;
  const { page: vp } = await openPage(browser, `${lab.base}/dashboard/`);
  await signInAs(vp, 'vendor', ADMIN.password);
  await vp.waitForSelector('canvas.map-lamps');
  await expect.poll(() => vp.evaluate(() => window.__gadelys!.map?.count() ?? -1)).toBe(own);
  expect(own).toBeLessThan(lab.lampCount);
  // no acknowledge buttons: vendors may not acknowledge
  expect(await vp.locator('#alarm-list button').count()).toBe(0);
  await vp.close();
});

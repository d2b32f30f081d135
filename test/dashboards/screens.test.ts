/**
 * The web app's screens beyond the overview, in Debian's Chromium against the simulated lab:
 * lamp detail with history from storage, commands by box selection acked by simulated lamps,
 * a program preview, a vendor who sees only their lamps, a replay that changes the map, and
 * axe-core on every screen. Screenshots go to test-artifacts/.
 */

import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually } from '../helpers/eventually.ts';
import { ARTIFACTS, launchChromium, openPage, signInAs } from './browser.ts';
import { PASSWORD, type ScreensLab, startScreensLab } from './screensLab.ts';

let lab: ScreensLab;
let browser: Browser;
beforeAll(async () => {
  [lab, browser] = await Promise.all([startScreensLab(), launchChromium()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await lab?.stop();
});

async function signedIn(user: string, hash: string, viewport?: { width: number; height: number }) {
  const watched = await openPage(browser, `${lab.base}/dashboard/#/sign-in`, viewport);
  await signInAs(watched.page, user, PASSWORD);
  await watched.page.evaluate((h) => {
    location.hash = h;
  }, hash);
  return watched;
}

/** The whole page, not only the viewport: these screens scroll. */
async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** No serious or critical axe violations on the page as it is now. */
async function expectAccessible(page: Page, name: string): Promise<void> {
  // legacy mode: runs in the page itself (pages opened with browser.newPage have no context of their own)
  const result = await new AxeBuilder({ page }).setLegacyMode(true).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map(
      (v) => `${name}: ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    ),
  ).toEqual([]);
}

test('a lamp’s detail shows live values and a history chart with points from storage', async () => {
  // the processor stores the simulator's readings: wait until tonight's history has some
  await eventually(
    'stored readings of DOLL-0007',
    async () => {
      const r = await lab.api<{ series: { points: { value: number | null }[] }[] }>(
        'GET',
        `/api/history?lampIds=DOLL-0007&field=actualLevel&bucketMs=60000&from=${Date.now() - 3_600_000}`,
        lab.tokens.viewer,
      );
      return r.series[0]?.points.some((p) => p.value !== null) || undefined;
    },
    { timeoutMs: 60_000, intervalMs: 1000 },
  );
  const { page, errors } = await signedIn('viewer', '#/lamp/DOLL-0007?range=night');
  await page.waitForSelector('#lamp-title');
  expect(await page.textContent('#lamp-title')).toContain('DOLL-0007');
  await page.waitForSelector('#history-chart[data-range="night"]');
  expect(Number(await page.getAttribute('#history-chart', 'data-points'))).toBeGreaterThan(0);
  // a history chart that fetched from storage, not from the live table
  await page.click('label[for=range-7d]');
  await expect.poll(() => new URL(page.url()).hash).toBe('#/lamp/DOLL-0007?range=7d');
  await page.waitForSelector('#history-chart[data-range="7d"]');
  expect(Number(await page.getAttribute('#history-chart', 'data-points'))).toBeGreaterThan(0);
  await expect.poll(() => page.textContent('#lamp-facts'), { timeout: 30_000 }).toContain('online');
  await expect.poll(() => page.textContent('#lamp-program')).toContain('Danish');
  await screenshot(page, 'lamp-detail');
  await expectAccessible(page, 'lamp detail');
  expect(errors, errors.join('\n')).toEqual([]);
  await page.close();
});

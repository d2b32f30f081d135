/**
 * `npm run screenshot`: the simulated lab on a night with a few faults, the web app in Debian's
 * Chromium, signed in as admin; writes the route overview to docs/screenshot-overview.png for
 * the README.
 */
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.ts';
import { startSimulatedLab } from './simulatedLab.ts';

const OUT = fileURLToPath(new URL('../docs/screenshot-overview.png', import.meta.url));
const ADMIN = { username: 'admin', password: 'a screenshot password' };

function lastEvening(now: number): string {
  const d = new Date(now);
  d.setUTCHours(21, 40, 0, 0);
  if (d.getTime() > now) d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString();
}

const lab = await startSimulatedLab({
  admin: ADMIN,
  env: {
    // the last evening at 21:40 UTC: the route is lit and dimming by program whenever this runs
    SIMULATOR_START: lastEvening(Date.now()),
    SIMULATOR_FAULTS:
      'lampFailure:DOLL-0042 supplyLoss:seg-09 commsLoss:DOLL-0131 commsLoss:DOLL-0133',
  },
});
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
  await page.goto(`${lab.base}/dashboard/`);
  await page.fill('#sign-in input[name=username]', ADMIN.username);
  await page.fill('#sign-in input[name=password]', ADMIN.password);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('.conn[data-state=live]');
  // wait until every lamp reported and the faults raised their alarms
  await page
    .waitForFunction(
      () => {
        const t = window.__gadelys?.app.live.table;
        if (!t) return false;
        let withData = 0;
        for (let i = 0; i < t.size; i++) if (!Number.isNaN(t.ts[i]!)) withData += 1;
        return withData >= t.size - 4 && (window.__gadelys?.app.live.alarms.active.size ?? 0) >= 3;
      },
      undefined,
      { timeout: 60_000, polling: 500 },
    )
    .catch(async (err: unknown) => {
      const state = await page.evaluate(() => {
        const t = window.__gadelys?.app.live.table;
        let withData = 0;
        for (let i = 0; i < (t?.size ?? 0); i++) if (!Number.isNaN(t!.ts[i]!)) withData += 1;
        return { lamps: t?.size, withData, alarms: window.__gadelys?.app.live.alarms.active.size };
      });
      throw new Error(`the lab did not fill the page: ${JSON.stringify(state)}`, { cause: err });
    });
  const at = await page.evaluate(() => window.__gadelys?.map?.pointOf('DOLL-0200'));
  const box = await page.locator('canvas.map-lamps').boundingBox();
  if (at && box) await page.mouse.move(box.x + at.x, box.y + at.y);
  await page.waitForTimeout(400);
  await page.screenshot({ path: OUT });
  console.log(`wrote ${OUT}`);
} finally {
  await browser.close();
  await lab.stop();
}

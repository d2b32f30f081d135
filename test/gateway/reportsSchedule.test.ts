// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/**
 * Scheduled reports: an operator schedules a vendor's report each day (the last night) and each
 * Monday (the week before); the gateway's clock is injected, so the test runs a schedule by
 * setting the time and calling the scheduler's tick instead of waiting for a morning. Files are
 * kept under GATEWAY_DATA_DIR/reports and listed in the API, each vendor's to that vendor only.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Harness, startHarness, VENDOR_A } from './harness.ts';
import { nightReadings } from './reportData.ts';

let h: Harness;
/** Tuesday 24 November 2026, 13:00 UTC: Monday night ended at noon. */
let clock = Date.parse('2026-11-24T13:00:00Z');
const NIGHTS = [
  '2026-11-16',
  '2026-11-17',
  '2026-11-18',
  '2026-11-19',
  '2026-11-20',
  '2026-11-21',
  '2026-11-22',
  '2026-11-23',
  '2026-11-24',
];
const other = () =>
  h.broker.registry.vendors.find(
    (v) => v.id !== VENDOR_A && h.broker.registry.lampsOfVendor(v.id).length > 0,
  )!.id;

beforeAll(async () => {
  h = await startHarness({ store: 'memory', now: () => clock });
  // Two vendors' lamps are enough here (the route median then rests on them).
  const reg = h.broker.registry;
  const two = new Set([VENDOR_A, other()]);
  await h.store!.writeTelemetry(
    nightReadings(reg, NIGHTS, { only: (id) => two.has(reg.vendorOf(id)?.id ?? '') }),
  );
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const schedule = (id: string, vendorId: string, every: string, formats: string[]) =>
  h.api('POST', '/api/reports/schedules', {
    token: h.tokens.operator,
    body: { id, vendorId, every, formats },
  });

test('only operators and admins schedule', async () => {
  const r = await h.api('POST', '/api/reports/schedules', {
    token: h.tokens.vendor,
    body: { id: 'nope', vendorId: VENDOR_A, every: 'day' },
  });
  expect(r.status).toBe(403);
  expect((await h.api('GET', '/api/reports/schedules', { token: h.tokens.vendor })).status).toBe(
    403,
  );
});

test('each morning the last night, each Monday the week before; made once, listed per vendor', async () => {
  expect((await schedule('daily', VENDOR_A, 'day', ['csv', 'json'])).status).toBe(201);
  expect((await schedule('weekly', VENDOR_A, 'monday', ['json', 'pdf'])).status).toBe(201);
  expect((await schedule('theirs', other(), 'day', ['csv'])).status).toBe(201);
  expect((await schedule('daily', VENDOR_A, 'day', ['csv'])).status).toBe(409);
  const made = await h.gateway.context.reports.tick();
  expect(made.map((f) => f.name).sort()).toEqual([
    'daily-2026-11-23.csv',
    'daily-2026-11-23.json',
    'theirs-2026-11-23.csv',
    'weekly-2026-11-22.json',
    'weekly-2026-11-22.pdf',
  ]);
  // The files are on disk under GATEWAY_DATA_DIR/reports.
  expect((await readdir(join(h.dataDir, 'reports'))).sort()).toEqual(
    made.map((f) => f.name).sort(),
  );
  // Run again at the same time: nothing is due.
  expect(await h.gateway.context.reports.tick()).toEqual([]);

  const weekly = await h.api('GET', '/api/reports/files/weekly-2026-11-22.json', {
    token: h.tokens.vendor,
  });
  expect(weekly.status).toBe(200);
  expect(weekly.json.nightsReported).toEqual(NIGHTS.slice(0, 7));
  const daily = await h.api('GET', '/api/reports/files/daily-2026-11-23.json', {
    token: h.tokens.vendor,
  });
  expect(daily.json.nightsReported).toEqual(['2026-11-23']);
  // The CSV file is what the API gives for that night.
  const file = await h.api('GET', '/api/reports/files/daily-2026-11-23.csv', {
    token: h.tokens.vendor,
  });
  const live = await h.api(
    'GET',
    `/api/reports/vendor/${VENDOR_A}?night=2026-11-23&nights=1&format=csv`,
    {
      token: h.tokens.vendor,
    },
  );
  expect(file.text).toBe(live.text);

  const mine = await h.api('GET', '/api/reports/files', { token: h.tokens.vendor });
  expect(mine.json.files.map((f: any) => f.name).sort()).toEqual([
    'daily-2026-11-23.csv',
    'daily-2026-11-23.json',
    'weekly-2026-11-22.json',
    'weekly-2026-11-22.pdf',
  ]);
  expect(mine.text).not.toContain(other());
  expect(mine.json.files[0].url).toMatch(/^\/api\/reports\/files\//);
  expect(
    (await h.api('GET', '/api/reports/files/theirs-2026-11-23.csv', { token: h.tokens.vendor }))
      .status,
  ).toBe(403);
  const all = await h.api('GET', '/api/reports/files', { token: h.tokens.operator });
  expect(all.json.files).toHaveLength(5);
  expect(
    (
      await h.api('GET', '/api/reports/files/..%2Fusers.json-2026-11-23.csv', {
        token: h.tokens.admin,
      })
    ).status,
  ).toBe(400);

  // A day later: one more daily report, no weekly one until next Monday.
  clock += 24 * 3_600_000;
  const next = await h.gateway.context.reports.tick();
  expect(next.map((f) => f.name).sort()).toEqual([
    'daily-2026-11-24.csv',
    'daily-2026-11-24.json',
    'theirs-2026-11-24.csv',
  ]);
});

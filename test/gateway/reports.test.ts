// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/**
 * History, energy, events and the vendor report through a real embedded store (DuckDB), written
 * through the storage port as the processor writes it; vendor isolation across all of them.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CSV_COLUMNS } from '../../services/gateway/reports/vendorReport.ts';
import type { StoredEvent } from '../../shared/storage/port.ts';
import { type Harness, startHarness, VENDOR_A } from './harness.ts';
import { lampTags, NIGHT_LEVELS, nightReadings } from './reportData.ts';

let h: Harness;
const HOUR = 3_600_000;
/** Two nights, noon to noon UTC: the report's night windows. */
const NIGHT_1 = '2026-11-18';
const NIGHT_2 = '2026-11-19';
const LEVELS = NIGHT_LEVELS;

beforeAll(async () => {
  h = await startHarness({ store: 'memory' });
  const reg = h.broker.registry;
  const points = nightReadings(reg, [NIGHT_1, NIGHT_2], { levels: LEVELS });
  const events: StoredEvent[] = [];
  for (const lamp of reg.lamps) {
    const tags = lampTags(reg, lamp.id);
    if (lamp.id === reg.lampsOfVendor(VENDOR_A)[0]!.id || lamp.id === 'DOLL-0200') {
      events.push({
        ...tags,
        ts: Date.parse(`${NIGHT_2}T23:00:00Z`),
        type: 'lampFailure',
        active: true,
      });
    }
  }
  await h.store!.writeTelemetry(points);
  await h.store!.writeEvents(events);
});
afterAll(async () => {
  await h?.stop();
});

const from = Date.parse(`${NIGHT_1}T12:00:00Z`);
const to = Date.parse(`${NIGHT_2}T12:00:00Z`) + 24 * HOUR;

test('history of a field over a window, bucketed and aggregated', async () => {
  const r = await h.api(
    'GET',
    `/api/history?field=targetLevel&from=${from}&to=${to}&bucketMs=${HOUR}&agg=max&lampIds=DOLL-0001`,
    {
      token: h.tokens.viewer,
    },
  );
  expect(r.status, r.text).toBe(200);
  expect(r.json.series).toHaveLength(1);
  const values = r.json.series[0].points
    .filter((p: any) => p.value !== null)
    .map((p: any) => p.value);
  expect(values).toEqual([...LEVELS, ...LEVELS]);
});

test('energy per lamp, segment and vendor per night', async () => {
  for (const groupBy of ['lamp', 'segment', 'vendor']) {
    const r = await h.api('GET', `/api/energy?night=${NIGHT_2}&groupBy=${groupBy}`, {
      token: h.tokens.viewer,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json.rows.length).toBeGreaterThan(0);
    expect(r.json.rows.every((row: any) => row.kWh > 0)).toBe(true);
  }
});

test('the vendor report per model: energy, dimming curve, availability, failures, median deviation', async () => {
  const r = await h.api('GET', `/api/reports/vendor/${VENDOR_A}?night=${NIGHT_2}&nights=2`, {
    token: h.tokens.vendor,
  });
  expect(r.status, r.text).toBe(200);
  const reg = h.broker.registry;
  const models = reg.models.filter(
    (m) => m.vendorId === VENDOR_A && reg.lampsOfModel(m.id).length > 0,
  );
  expect(r.json.models.map((m: any) => m.modelId).sort()).toEqual(models.map((m) => m.id).sort());
  for (const m of r.json.models) {
    const model = reg.model(m.modelId)!;
    expect(m.nights.map((n: any) => n.night)).toEqual([NIGHT_1, NIGHT_2]);
    expect(m.kWhPerLampPerNight).toBeGreaterThan(0);
    // the measured curve is the model's power law: standby + rated x level
    for (const level of [10, 50, 100]) {
      const point = m.dimmingCurve.find((c: any) => c.level === level);
      expect(point.powerW).toBeCloseTo(model.standbyPowerW + (model.ratedPowerW * level) / 100, 1);
    }
    expect(m.dimmingCurve.find((c: any) => c.level === 70).powerW).toBeNull();
    expect(m.availabilityPct).toBeGreaterThan(0);
    expect(typeof m.deviationFromRouteMedianPct).toBe('number');
  }
  expect(r.json.models.reduce((n: number, m: any) => n + m.failures, 0)).toBe(1);
});

test('the CSV report has the documented columns, one row per model', async () => {
  const r = await h.api(
    'GET',
    `/api/reports/vendor/${VENDOR_A}?night=${NIGHT_2}&nights=2&format=csv`,
    { token: h.tokens.viewer },
  );
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
  const lines = r.text.trim().split('\r\n');
  expect(lines[0]!.split(',')).toEqual([...CSV_COLUMNS]);
  expect(lines[0]).toContain('powerW_at_50pct');
  const reg = h.broker.registry;
  const modelCount = reg.models.filter(
    (m) => m.vendorId === VENDOR_A && reg.lampsOfModel(m.id).length > 0,
  ).length;
  expect(lines).toHaveLength(1 + modelCount);
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    expect(cells).toHaveLength(CSV_COLUMNS.length);
    expect(cells[0]).toBe(VENDOR_A);
    expect(Number(cells[CSV_COLUMNS.indexOf('nights')])).toBe(2);
  }
});

describe('vendor isolation', () => {
  const other = () =>
    h.broker.registry.lamps.find((l) => h.broker.registry.vendorOf(l.id)?.id !== VENDOR_A)!;
  const otherVendor = () => h.broker.registry.vendorOf(other().id)!.id;
  const get = (path: string) => h.api('GET', path, { token: h.tokens.vendor });

  test('REST registry and live state hold only their own lamps', async () => {
    const lamps = await get('/api/lamps');
    expect(lamps.json.lamps.length).toBe(h.broker.registry.lampsOfVendor(VENDOR_A).length);
    expect(lamps.json.lamps.every((l: any) => l.vendorId === VENDOR_A)).toBe(true);
    expect((await get('/api/live')).json.lamps.every((l: any) => l.vendorId === VENDOR_A)).toBe(
      true,
    );
    expect((await get(`/api/lamps/${other().id}`)).status).toBe(403);
    expect((await get(`/api/lamps?vendorId=${otherVendor()}`)).status).toBe(403);
    expect((await get('/api/vendors')).json.vendors.map((v: any) => v.id)).toEqual([VENDOR_A]);
    expect((await get('/api/models')).json.models.every((m: any) => m.vendorId === VENDOR_A)).toBe(
      true,
    );
    const segments = (await get('/api/segments')).json.segments;
    const own = new Set(h.broker.registry.lampsOfVendor(VENDOR_A).map((l) => l.id));
    expect(segments.flatMap((s: any) => s.lampIds).every((id: string) => own.has(id))).toBe(true);
  });

  test('history, energy and events are narrowed to their vendor; asking for others is 403', async () => {
    const history = await get(
      `/api/history?field=activePower&from=${from}&to=${to}&bucketMs=${HOUR}`,
    );
    expect(history.status, history.text).toBe(200);
    const own = new Set(h.broker.registry.lampsOfVendor(VENDOR_A).map((l) => l.id));
    expect(history.json.series.length).toBe(own.size);
    expect(history.json.series.every((s: any) => own.has(s.lampId))).toBe(true);
    expect((await get(`/api/history?field=activePower&lampIds=${other().id}`)).status).toBe(403);
    expect((await get(`/api/history?field=activePower&vendorId=${otherVendor()}`)).status).toBe(
      403,
    );
    const energy = await get(`/api/energy?night=${NIGHT_2}&groupBy=vendor`);
    expect(energy.json.rows.map((r: any) => r.key)).toEqual([VENDOR_A]);
    const events = await get(`/api/events?from=${from}&to=${to}`);
    expect(events.json.events.length).toBe(1);
    expect(events.json.events.every((e: any) => e.vendorId === VENDOR_A)).toBe(true);
  });

  test("another vendor's report is 403; the route median is the only shared figure", async () => {
    expect((await get(`/api/reports/vendor/${otherVendor()}`)).status).toBe(403);
    const r = await get(`/api/reports/vendor/${VENDOR_A}?night=${NIGHT_2}&nights=2`);
    expect(r.text).not.toContain(otherVendor());
  });
});

// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/**
 * The vendor report's figures as a new user found them wrong: a dimming curve built from buckets
 * that straddle level changes, availability over time that had not happened yet, and a default
 * report that shows only finished nights (all empty on a new lab). Readings written through the
 * storage port as the processor writes them, into a real embedded store.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { activePower } from '../../shared/registry/luminaire.ts';
import type { StoredTelemetry } from '../../shared/storage/port.ts';
import { type Harness, startHarness, VENDOR_A } from './harness.ts';
import { lampTags } from './reportData.ts';

let h: Harness;
const MIN = 60_000;
const NIGHT = '2026-11-18';
const T0 = Date.parse(`${NIGHT}T18:00:00Z`);
/** 40 % for 20 min, then 40 -> 90 -> 10 inside a few minutes, 10 %, 25 -> 75 mid-bucket, 75 %, off. */
function levelAt(min: number): number {
  if (min < 21) return 40;
  if (min < 23) return 90;
  if (min < 50) return 10;
  if (min < 61) return 25;
  if (min < 90) return 75;
  return 0;
}
const MINUTES = 120;
/** The lab went live this long before now, on the night under way. */
const LIVE_MS = 20 * MIN;

beforeAll(async () => {
  h = await startHarness({ store: 'memory' });
  const reg = h.broker.registry;
  const points: StoredTelemetry[] = [];
  const now = Date.now();
  for (const lamp of reg.lampsOfVendor(VENDOR_A)) {
    const model = reg.model(lamp.modelId)!;
    const tags = lampTags(reg, lamp.id);
    let seq = 0;
    // Readings every 30 s through the night of the level changes.
    for (let i = 0; i < MINUTES * 2; i++) {
      const level = levelAt(i / 2);
      points.push({
        ...tags,
        seq: seq++,
        ts: T0 + i * 30_000,
        targetLevel: level,
        actualLevel: level,
        activePower: Number(activePower(model, level, 1000).toFixed(2)),
        activeEnergy: 100 + i * 0.001,
        supplyVoltage: 230,
        supplyCurrent: 0.1,
        powerFactor: 0.95,
        operatingHours: 1000 + i / 120,
        switchOnCounter: 10,
        gearTemperature: 30,
      });
    }
    // A new lab: every minute for the last 20 minutes.
    for (let t = now - LIVE_MS; t <= now; t += MIN)
      points.push({
        ...tags,
        seq: seq++,
        ts: t,
        targetLevel: 50,
        actualLevel: 50,
        activePower: 20,
        activeEnergy: 200 + (t - now + LIVE_MS) / 3_600_000,
        supplyVoltage: 230,
        supplyCurrent: 0.1,
        powerFactor: 0.95,
        operatingHours: 2000,
        switchOnCounter: 11,
        gearTemperature: 30,
      });
  }
  await h.store!.writeTelemetry(points);
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

test('the dimming curve rests on steady-state readings only, and says on how many', async () => {
  const r = await h.api('GET', `/api/reports/vendor/${VENDOR_A}?night=${NIGHT}&nights=1`, {
    token: h.tokens.vendor,
  });
  expect(r.status, r.text).toBe(200);
  const reg = h.broker.registry;
  expect(r.json.models.length).toBeGreaterThan(0);
  for (const m of r.json.models) {
    const model = reg.model(m.modelId)!;
    const at = (level: number) => m.dimmingCurve.find((c: any) => c.level === level);
    // Levels the lamps never held: no point, where 5-minute means put one at 50 % and 70 %.
    for (const level of [20, 30, 50, 60, 70, 80, 90, 100]) expect(at(level).powerW).toBeNull();
    // Levels held: the model's power there, from the minutes after the level had held for the
    // settle time (10 minutes): 40 % from minute 0, so minutes 10-20 (11, 22 readings a lamp);
    // 10 % from minute 23, so 33-49 (17 minutes, 34 readings); 90 % never held long enough.
    for (const [level, minutes] of [
      [40, 11],
      [10, 17],
    ] as const) {
      expect(at(level).powerW).toBeCloseTo(activePower(model, level, 1000), 1);
      expect(at(level).samples).toBe(2 * minutes * m.lamps);
      expect(at(level).minutes).toBe(minutes * m.lamps);
    }
  }
});

test('availability counts only the time in which reports were expected; the default report shows the night so far', async () => {
  const r = await h.api('GET', `/api/reports/vendor/${VENDOR_A}`, { token: h.tokens.vendor });
  expect(r.status, r.text).toBe(200);
  // The finished nights without data are left out; the night under way is in, marked so.
  expect(r.json.nightsReported).toHaveLength(1);
  for (const m of r.json.models) {
    expect(m.nights).toHaveLength(1);
    expect(m.nights[0].complete).toBe(false);
    expect(m.nights[0].kWhPerLamp).toBeGreaterThan(0);
    expect(m.energyBasis).toBe('night so far');
    expect(m.kWhPerLampPerNight).toBeGreaterThan(0);
    // 20 minutes of readings every minute: every whole bucket since the first report has data.
    expect(m.availabilityPct).toBe(100);
    expect(m.availability.bucketsExpected).toBeGreaterThan(0);
  }
});

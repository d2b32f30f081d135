/**
 * The vendor report read from the steady-state tier equals the report computed from raw
 * readings, on both stores. The simulator's lamp model runs a vendor's 17 lamps (3 models: one
 * with a light sensor, one with a constant-light-output driver) through a night of the Danish
 * program with ramps and noise, a reading every 30 s; one lamp reports every 5 minutes and one
 * is offline for a while. The same readings give the same report (a) with no rollups (raw
 * readings), (b) from the rollups and the tier as the processor computes them, and (c) with a
 * late reading that the tier has not seen (the tier's hour is then computed from its minutes);
 * the curve also equals one computed here from the raw readings alone, and each night's energy
 * equals the store's energy read.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CURVE_LEVELS } from '../../services/gateway/reports/figures.ts';
import { loadVendorReport } from '../../services/gateway/reports/loadVendorReport.ts';
import { DANISH_PROGRAM } from '../../shared/programs/programs.ts';
import { createRandom } from '../../shared/random.ts';
import { loadRegistry } from '../../shared/registry/index.ts';
import { createDuckdbStore } from '../../shared/storage/duckdb/duckdbStore.ts';
import { createInfluxStore } from '../../shared/storage/influxdb/influxStore.ts';
import type { PartialsQuery, Store, StoredTelemetry } from '../../shared/storage/port.ts';
import { computeRollups, NO_ROLLUPS } from '../../shared/storage/rollup.ts';
import { computeSteady } from '../../shared/storage/steady.ts';
import { createSimClock } from '../../simulator/clock.ts';
import { simLamps } from '../../simulator/fleet.ts';
import { reading } from '../../simulator/lamp.ts';
import { Simulation } from '../../simulator/Simulation.ts';
import { startInfluxd, type TestInfluxd } from '../helpers/influxd.ts';

const VENDOR = 'nordlys';
const NIGHT = '2026-11-18';
const FROM = Date.parse(`${NIGHT}T12:00:00Z`);
const TO = FROM + 86_400_000;
const NOW = TO + 86_400_000;
const STEP_MS = 30_000;
const MIN = 60_000;
const HOUR = 60 * MIN;

const registry = loadRegistry();
const vendor = registry.vendor(VENDOR)!;
const own = registry.lampsOfVendor(VENDOR).map((l) => l.id);
const sparse = own[0]!;
const offline = own[1]!;

function simulate(): StoredTelemetry[] {
  const lamps = simLamps(registry, 1).filter((l) => own.includes(l.id));
  const sim = new Simulation(
    {
      lamps,
      mode: 'lamp',
      clock: createSimClock(FROM, FROM, 1),
      intervalMs: STEP_MS,
      jitter: 0,
      seed: 3,
      program: DANISH_PROGRAM,
      trafficPerHour: 0,
    },
    FROM,
  );
  const noise = createRandom(11);
  const points: StoredTelemetry[] = [];
  // Offline for 50 minutes across the 22:00 change.
  const gap = [Date.parse(`${NIGHT}T21:40:00Z`), Date.parse(`${NIGHT}T22:30:00Z`)];
  for (let t = FROM; t < TO; t += STEP_MS)
    for (const s of sim.states.values()) {
      sim.advanceLamp(s, t);
      const id = s.lamp.id;
      if (id === sparse && (t - FROM) % (5 * MIN) !== 0) continue;
      if (id === offline && t >= gap[0]! && t < gap[1]!) continue;
      const { segmentId, vendorId, model } = s.lamp;
      points.push({ ...reading(s, sim.envAt(t), noise()), segmentId, vendorId, modelId: model.id });
    }
  return points;
}

/**
 * The curve from raw readings alone, by the definition (docs/reports.md): a reading counts when
 * every reading of its minute had actual = target = one level, and the readings back to the
 * last minute with readings at or before 10 minutes earlier (at most 20) were all at it.
 */
function rawCurve(points: readonly StoredTelemetry[], lampIds: readonly string[]) {
  const ids = new Set(lampIds);
  const minutes = new Map<string, Map<number, StoredTelemetry[]>>();
  for (const p of points) {
    if (!ids.has(p.lampId)) continue;
    const m = Math.floor(p.ts / MIN) * MIN;
    const lamp = minutes.get(p.lampId) ?? new Map();
    minutes.set(p.lampId, lamp);
    lamp.set(m, [...(lamp.get(m) ?? []), p]);
  }
  const level = (rs: StoredTelemetry[]) => {
    const l = rs[0]!.actualLevel;
    const ok = rs.every(
      (r) =>
        r.actualLevel !== undefined &&
        r.targetLevel !== undefined &&
        Math.abs(r.actualLevel - l!) <= 0.05 &&
        Math.abs(r.targetLevel - l!) <= 0.05,
    );
    return ok ? l : undefined;
  };
  const sums = new Map<number, { sum: number; n: number }>();
  for (const lamp of minutes.values()) {
    const times = [...lamp.keys()].sort((a, b) => a - b);
    times.forEach((m, i) => {
      const l = level(lamp.get(m)!);
      if (l === undefined) return;
      let held = false;
      for (let j = i - 1; j >= 0 && times[j]! >= m - 20 * MIN; j--) {
        const before = level(lamp.get(times[j]!)!);
        if (before === undefined || Math.abs(before - l) > 0.05) break;
        if (times[j]! <= m - 10 * MIN) {
          held = true;
          break;
        }
      }
      if (!held) return;
      for (const c of CURVE_LEVELS) {
        if (Math.abs(l - c) > 1) continue;
        const s = sums.get(c) ?? { sum: 0, n: 0 };
        for (const r of lamp.get(m)!)
          if (r.activePower !== undefined) {
            s.sum += r.activePower;
            s.n += 1;
          }
        sums.set(c, s);
      }
    });
  }
  return CURVE_LEVELS.map((c) => {
    const s = sums.get(c);
    return { level: c, powerW: s?.n ? s.sum / s.n : null, samples: s?.n ?? 0 };
  });
}

const points = simulate();

/** The store with its aggregate reads recorded. */
function recording(store: Store) {
  const reads: PartialsQuery[] = [];
  let tierReads = 0;
  const wrapped: Store = {
    ...store,
    partials: (q) => {
      reads.push(q);
      return store.partials(q);
    },
    steady: (q) => {
      tierReads++;
      return store.steady!(q);
    },
  };
  return {
    store: wrapped,
    reads,
    get tierReads() {
      return tierReads;
    },
  };
}

const report = (store: Store) =>
  loadVendorReport({ registry, store, now: () => NOW }, vendor, { night: NIGHT, nights: 1 });

async function rollUp(store: Store, from: number, to: number) {
  // In 2-hour runs, as the processor computes them in short runs (one write stays small).
  for (let a = from; a < to; a += 2 * HOUR) await computeRollups(store, '1m', a, a + 2 * HOUR);
  for (let h = from; h < to; h += HOUR) await computeRollups(store, '1h', h, h + HOUR);
  const state = {
    '1m': { since: FROM, completeUntil: TO },
    '1h': { since: FROM, completeUntil: TO },
  };
  await store.writeRollupState(state);
  return state;
}

describe.each(['duckdb', 'influxdb'] as const)('%s', (kind) => {
  let store: Store;
  let influxd: TestInfluxd | undefined;
  beforeAll(async () => {
    if (kind === 'influxdb') {
      influxd = await startInfluxd();
      // The night is at a fixed date: keep every resolution forever, or the raw policy's 14 days
      // drop its readings once the night is that old (as it did on 3 December).
      store = await createInfluxStore({
        url: influxd.url,
        database: influxd.database,
        retention: { raw: 0, '1m': 0, '1h': 0 },
      });
    } else store = await createDuckdbStore({ path: ':memory:' });
    for (let i = 0; i < points.length; i += 20_000)
      await store.writeTelemetry(points.slice(i, i + 20_000));
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await influxd?.stop();
  });

  test('from the tier, from the rollups and from raw readings: the same report', async () => {
    await store.writeRollupState(NO_ROLLUPS);
    const raw = await report(store);
    expect(raw.models).toHaveLength(3);
    // The curve as the definition gives it from the raw readings.
    for (const m of raw.models) {
      const lampIds = registry.lampsOfModel(m.modelId).map((l) => l.id);
      const expected = rawCurve(points, lampIds);
      expect(m.dimmingCurve.some((c) => c.powerW !== null)).toBe(true);
      for (const [i, c] of m.dimmingCurve.entries()) {
        expect(c.samples).toBe(expected[i]!.samples);
        if (expected[i]!.powerW === null) expect(c.powerW).toBeNull();
        else expect(c.powerW).toBeCloseTo(expected[i]!.powerW, 2);
      }
      // A night's energy is the store's energy read of the model's lamps.
      const energy = await store.energy({ from: FROM, to: TO, groupBy: 'lamp', lampIds });
      expect(m.nights[0]!.kWh).toBeCloseTo(
        energy.reduce((a, r) => a + r.kWh, 0),
        3,
      );
    }
    const byModel = Object.fromEntries(raw.models.map((m) => [m.modelId, m]));
    expect(byModel['nordlys-orbis-90']!.luxPerWatt.value).not.toBeNull();
    expect(byModel['nordlys-kappa-60']!.powerCreep).not.toBeNull();
    // Every 10-minute slot of the night has a reading (the 5-minute reporter too) but the five
    // the offline lamp missed.
    const ofOffline = raw.models.find((m) => m.modelId === registry.lamp(offline)!.modelId)!;
    expect(ofOffline.availability).toEqual({
      bucketsWithData: 144 * ofOffline.lamps - 5,
      bucketsExpected: 144 * ofOffline.lamps,
    });

    // The processor's rollups and tier.
    const state = await rollUp(store, FROM, TO);
    for (let h = FROM; h < TO; h += HOUR) await computeSteady(store, h, h + HOUR, state);
    const rec = recording(store);
    const tiered = await report(rec.store);
    expect(tiered.models).toEqual(raw.models);
    // It read the tier, and no minute of the night.
    expect(rec.tierReads).toBeGreaterThan(0);
    expect(rec.reads.filter((q) => q.bucketMs === MIN)).toEqual([]);
  }, 120_000);

  test('a late reading the tier has not seen: its hour comes from the minutes', async () => {
    // A late reading at 23:30:10 of one lamp at another level: that minute no longer steady.
    const late = points.find(
      (p) => p.lampId === own[5] && p.ts === Date.parse(`${NIGHT}T23:30:00Z`),
    )!;
    await store.writeTelemetry([
      { ...late, ts: late.ts + 10_000, seq: late.seq + 1_000_000, actualLevel: 77 },
    ]);
    const h = Math.floor(late.ts / HOUR) * HOUR;
    await computeRollups(store, '1m', h, h + HOUR);
    await computeRollups(store, '1h', h, h + HOUR);
    const rec = recording(store);
    const stale = await report(rec.store);
    expect(rec.reads.filter((q) => q.bucketMs === MIN).map((q) => q.from)).toContain(h - 20 * MIN);
    await store.writeRollupState(NO_ROLLUPS);
    const raw = await report(store);
    expect(stale.models).toEqual(raw.models);
  }, 120_000);
});

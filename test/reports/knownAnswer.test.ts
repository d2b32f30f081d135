/**
 * A trial with a known answer. The simulator's lamp model runs 24 lamps for eight nights on the
 * Danish program: twelve of a constant-light-output model and twelve of the same luminaire with a
 * driver that takes 10 % less LED input power for the same light (its catalog entry says so).
 * Lamps differ in age, so their drive (and power) differ: the interval has a real spread. The
 * trial's 95 % interval must contain the true difference, and an A/A trial (the control model
 * split in two) must have an interval that contains zero. Readings go through the storage port
 * into an embedded store, as the processor writes them; the report reads them back.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadTrialReport } from '../../services/gateway/reports/loadTrialReport.ts';
import type { Trial } from '../../services/gateway/trials/trial.ts';
import { DANISH_PROGRAM } from '../../shared/programs/programs.ts';
import { createRandom } from '../../shared/random.ts';
import { createRegistry, loadCatalog, type Registry } from '../../shared/registry/index.ts';
import { createDuckdbStore } from '../../shared/storage/duckdb/duckdbStore.ts';
import type { Store, StoredTelemetry } from '../../shared/storage/port.ts';
import { createSimClock } from '../../simulator/clock.ts';
import { simLamps } from '../../simulator/fleet.ts';
import { reading } from '../../simulator/lamp.ts';
import { Simulation } from '../../simulator/Simulation.ts';

const SAVING = 0.1;
const NIGHTS = 8;
const FIRST = '2026-11-02';
const LAST = '2026-11-09';
const STEP_MS = 5 * 60_000;
const DAY = 86_400_000;

let store: Store;
let registry: Registry;
const base = loadCatalog().models.find((m) => m.constantLightOutput)!;
const efficient = {
  ...base,
  id: `${base.id}-eff`,
  name: `${base.name} (efficient driver)`,
  ratedPowerW: base.standbyPowerW + (base.ratedPowerW - base.standbyPowerW) * (1 - SAVING),
};

beforeAll(async () => {
  const catalog = loadCatalog();
  catalog.models.push(efficient);
  const segments = [0, 1].map((i) => ({
    id: `ka-${i}`,
    name: `Street ${i}`,
    controllerId: `ka-ctl-${i}`,
  }));
  const lamps = Array.from({ length: 24 }, (_, i) => ({
    id: `KA-${String(i).padStart(2, '0')}`,
    lon: 12.36 + i * 0.0004,
    lat: 55.68,
    distanceM: i * 30,
    segmentId: segments[i % 2]!.id,
    controllerId: segments[i % 2]!.controllerId,
    modelId: i % 2 === 0 ? base.id : efficient.id,
    poleHeightM: 8,
  }));
  registry = createRegistry(catalog, {
    lamps,
    segments,
    approximate: true,
    source: 'known-answer street',
  });
  store = await createDuckdbStore({ path: ':memory:' });
  const start = Date.parse(`${FIRST}T00:00:00Z`);
  const end = Date.parse(`${LAST}T12:00:00Z`) + DAY;
  const noise = createRandom(7);
  const points: StoredTelemetry[] = [];
  // The simulation engine with the lamps at real speed, advanced by hand at each step.
  const sim = new Simulation(
    {
      lamps: simLamps(registry, 1),
      mode: 'lamp',
      clock: createSimClock(start, start, 1),
      intervalMs: STEP_MS,
      jitter: 0,
      seed: 1,
      program: DANISH_PROGRAM,
      trafficPerHour: 0,
    },
    start,
  );
  for (let t = start; t < end; t += STEP_MS)
    for (const s of sim.states.values()) {
      sim.advanceLamp(s, t);
      const { segmentId, vendorId, model } = s.lamp;
      points.push({ ...reading(s, sim.envAt(t), noise()), segmentId, vendorId, modelId: model.id });
    }
  await store.writeTelemetry(points);
}, 60_000);
afterAll(async () => {
  await store?.close();
});

const trial = (id: string, over: Partial<Trial>): Trial => ({
  id,
  name: id,
  vendorId: base.vendorId,
  test: { lampIds: [], modelIds: [efficient.id] },
  control: { kind: 'model', modelId: base.id },
  fromNight: FIRST,
  toNight: LAST,
  createdBy: 'test',
  createdAt: 0,
  ...over,
});

const report = (t: Trial) =>
  loadTrialReport({ registry, store, now: () => Date.parse('2026-12-01T00:00:00Z') }, t, t);

describe('known answer', () => {
  test('the interval of a 10 % more efficient driver contains the true difference', async () => {
    const r = await report(trial('eff', {}));
    const c = r.comparison;
    expect(r.nights).toHaveLength(NIGHTS);
    expect(c.test.lamps).toBe(12);
    expect(c.control.lamps).toBe(12);
    expect(c.matched.testLampNights).toBe(12 * NIGHTS);
    // The true difference: 10 % of the LED energy of a control lamp-night (standby is the same).
    const standbyKWh = (base.standbyPowerW * 24) / 1000;
    const truth = -SAVING * (c.control.kWhPerLampNight! - standbyKWh);
    expect(c.ci95KWh).not.toBeNull();
    expect(c.ci95KWh!.low).toBeLessThanOrEqual(truth);
    expect(c.ci95KWh!.high).toBeGreaterThanOrEqual(truth);
    expect(c.ci95KWh!.high).toBeLessThan(0);
    expect(c.conclusion).toBe('test uses less energy');
    // The lamps' ages give the interval a real width, and the estimate is near the truth.
    expect(c.ci95KWh!.high - c.ci95KWh!.low).toBeGreaterThan(0);
    expect(Math.abs(c.differenceKWh! - truth)).toBeLessThan(Math.abs(truth) * 0.3);
  });

  test('an A/A trial (the control model split in two) has an interval that contains zero', async () => {
    const controlLamps = registry.lampsOfModel(base.id).map((l) => l.id);
    const r = await report(
      trial('aa', { test: { lampIds: controlLamps.slice(0, 6), modelIds: [] } }),
    );
    const c = r.comparison;
    expect(c.test.lamps).toBe(6);
    expect(c.control.lamps).toBe(6);
    expect(c.ci95KWh).not.toBeNull();
    expect(c.ci95KWh!.low).toBeLessThanOrEqual(0);
    expect(c.ci95KWh!.high).toBeGreaterThanOrEqual(0);
    expect(c.conclusion).toBe('no difference shown');
  });

  test('the same trial gives the same interval (seeded resampling)', async () => {
    const a = await report(trial('eff', {}));
    const b = await report(trial('eff', {}));
    expect(b.comparison).toEqual(a.comparison);
  });

  test('two lamps a side are too few to conclude', async () => {
    const ids = registry.lampsOfModel(efficient.id).map((l) => l.id);
    const r = await report(
      trial('few', {
        test: { lampIds: ids.slice(0, 2), modelIds: [] },
        control: { kind: 'segment', segmentId: 'ka-0' },
        toNight: FIRST,
      }),
    );
    expect(r.comparison.conclusion).toBe('too few data to conclude');
    expect(r.comparison.ci95KWh).toBeNull();
  });
});

/**
 * `npm run bench -- reports`: the vendor report over 7 nights and a 30-night trial of a vendor's
 * lamps against the other lamps on their streets, for the whole route (280 lamps), read from the
 * processor's rollups on each store (DuckDB, and InfluxDB through Debian's influxd). Rollups are
 * synthetic but shaped as the processor writes them: 1-hour rows for every lamp over 31 nights,
 * 1-minute rows over the last 8 days for the vendor's lamps (the tier's source, and what a report
 * reads where the tier is missing) and the steady-state tier computed from those minutes as the processor computes it.
 * Baseline, in the same run: one route-wide energy read over the 7 nights (the cheapest
 * read a report makes), so the ratio says what the report costs beyond the store's own speed.
 */

import { loadTrialReport } from '../services/gateway/reports/loadTrialReport.ts';
import { loadVendorReport } from '../services/gateway/reports/loadVendorReport.ts';
import type { Trial } from '../services/gateway/trials/trial.ts';
import { loadRegistry } from '../shared/registry/index.ts';
import { createDuckdbStore } from '../shared/storage/duckdb/duckdbStore.ts';
import { createInfluxStore } from '../shared/storage/influxdb/influxStore.ts';
import type { PartialRow, SteadyRow, Store } from '../shared/storage/port.ts';
import { steadyRowsOf } from '../shared/storage/steady.ts';
import { startInfluxd, type TestInfluxd } from '../test/helpers/influxd.ts';
import type { BenchResult } from './result.ts';

const RUNS = Number(process.env.BENCH_REPORTS_RUNS ?? 10);
const STORES = (process.env.BENCH_REPORTS_STORES ?? 'duckdb,influxdb').split(',');
const VENDOR = process.env.BENCH_REPORTS_VENDOR ?? 'nordlys';
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Noon UTC on the day after the last night: every night of the window has ended. */
const END = Date.UTC(2026, 10, 30, 12);
const HOURLY_NIGHTS = 31;
const MINUTE_DAYS = 8;
const progress = (msg: string) => console.error(`  [reports] ${msg}`);

const registry = loadRegistry();
const tagsOf = registry.lamps.map((l) => ({
  lampId: l.id,
  segmentId: l.segmentId,
  modelId: l.modelId,
  vendorId: registry.vendorOf(l.id)?.id ?? '',
}));

/** The Danish program in UTC hours, roughly: on at 16, 50 % from 21, 10 % from 0:30, off at 7. */
function levelAt(t: number): number {
  const h = new Date(t).getUTCHours() + new Date(t).getUTCMinutes() / 60;
  if (h >= 16 && h < 21) return 100;
  if (h >= 21 || h < 0.5) return 50;
  if (h < 3.75) return 10;
  if (h < 5) return 50;
  if (h < 7) return 100;
  return 0;
}

interface Acc {
  e0: number;
  e1: number;
  tSum: number;
  tMin: number;
  tMax: number;
  aMin: number;
  aMax: number;
  pSum: number;
  n: number;
  h0: number;
  h1: number;
}

function rowOf(l: number, ts: number, a: Acc): PartialRow {
  return {
    ...tagsOf[l]!,
    ts,
    count: a.n,
    energy: a.e1 - a.e0,
    activeEnergy_min: a.e0,
    activeEnergy_max: a.e1,
    activeEnergy_last: a.e1,
    targetLevel_sum: a.tSum,
    targetLevel_n: a.n,
    targetLevel_min: a.tMin,
    targetLevel_max: a.tMax,
    actualLevel_min: a.aMin,
    actualLevel_max: a.aMax,
    activePower_sum: a.pSum,
    activePower_n: a.n,
    operatingHours_min: a.h0,
    operatingHours_max: a.h1,
    operatingHours_sum: ((a.h0 + a.h1) / 2) * a.n,
    operatingHours_n: a.n,
  } as PartialRow;
}

async function fillRollups(store: Store): Promise<number> {
  const start = END - HOURLY_NIGHTS * DAY - DAY / 2;
  const minuteFrom = END - MINUTE_DAYS * DAY;
  const hourly: PartialRow[] = [];
  const minutes: PartialRow[] = [];
  const steady: SteadyRow[] = [];
  let rows = 0;
  const flush = async (force = false) => {
    if (hourly.length >= 20_000 || (force && hourly.length)) {
      rows += hourly.length;
      await store.writeRollups('1h', hourly.splice(0));
    }
    if (minutes.length >= 20_000 || (force && minutes.length)) {
      rows += minutes.length;
      await store.writeRollups('1m', minutes.splice(0));
    }
    if (store.writeSteady && (steady.length >= 20_000 || (force && steady.length))) {
      rows += steady.length;
      await store.writeSteady(steady.splice(0));
    }
  };
  for (let l = 0; l < tagsOf.length; l++) {
    const own = tagsOf[l]!.vendorId === VENDOR;
    const factor = 1 + ((l * 37) % 11) / 100;
    let energy = 1000 + l;
    let hours = 10_000 + l * 50;
    const lampMinutes: PartialRow[] = [];
    for (let t = start; t < END; t += HOUR) {
      const hour: Acc = {
        e0: energy,
        e1: energy,
        tSum: 0,
        tMin: 100,
        tMax: 0,
        aMin: 100,
        aMax: 0,
        pSum: 0,
        n: 0,
        h0: hours,
        h1: hours,
      };
      for (let m = t; m < t + HOUR; m += MIN) {
        const level = levelAt(m);
        const power = (0.5 + 0.4 * level) * factor;
        const e0 = energy;
        energy += power / 60_000;
        if (level > 0) hours += 1 / 60;
        hour.tSum += level * 60;
        hour.pSum += power * 60;
        hour.n += 60;
        hour.tMin = Math.min(hour.tMin, level);
        hour.tMax = Math.max(hour.tMax, level);
        hour.aMin = hour.tMin;
        hour.aMax = hour.tMax;
        if (own && m >= minuteFrom)
          lampMinutes.push(
            rowOf(l, m, {
              e0,
              e1: energy,
              tSum: level * 60,
              tMin: level,
              tMax: level,
              aMin: level,
              aMax: level,
              pSum: power * 60,
              n: 60,
              h0: hours,
              h1: hours,
            }),
          );
      }
      hour.e1 = energy;
      hour.h1 = hours;
      hourly.push(rowOf(l, t, hour));
      await flush();
    }
    // The lamp's steady-state tier as the processor computes it from the minutes (steady.ts).
    steady.push(...steadyRowsOf(lampMinutes, minuteFrom, END));
    for (const r of lampMinutes) minutes.push(r);
    await flush();
  }
  await flush(true);
  await store.writeRollupState({
    '1m': { since: minuteFrom, completeUntil: END },
    '1h': { since: start, completeUntil: END },
  });
  return rows;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};

async function timed(fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  await fn(); // warm
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return { p50: quantile(ms, 0.5), p95: quantile(ms, 0.95) };
}

async function benchStore(kind: string, result: BenchResult): Promise<void> {
  let influxd: TestInfluxd | undefined;
  const store =
    kind === 'influxdb'
      ? await (async () => {
          influxd = await startInfluxd();
          return createInfluxStore({ url: influxd.url, database: influxd.database });
        })()
      : await createDuckdbStore({ path: ':memory:' });
  try {
    const t0 = performance.now();
    const rows = await fillRollups(store);
    progress(`${kind}: ${rows} rollup rows in ${Math.round(performance.now() - t0)} ms`);
    const deps = { registry, store, now: () => END + HOUR };
    const vendor = registry.vendor(VENDOR)!;
    const lastNight = new Date(END - DAY - DAY / 2).toISOString().slice(0, 10);
    const firstNight = new Date(END - 30 * DAY - DAY / 2).toISOString().slice(0, 10);
    const trial: Trial = {
      id: 'bench',
      name: 'bench',
      vendorId: VENDOR,
      test: { lampIds: registry.lampsOfVendor(VENDOR).map((l) => l.id), modelIds: [] },
      control: { kind: 'sameStreets' },
      fromNight: firstNight,
      toNight: lastNight,
      createdBy: 'bench',
      createdAt: 0,
    };
    const m = result.metrics;
    const baseline = await timed(() =>
      store.energy({ from: END - 7 * DAY - DAY / 2, to: END - DAY / 2, groupBy: 'lamp' }),
    );
    m[`${kind} baseline energy 7 nights p95 ms`] = Math.round(baseline.p95);
    // Each figure on its own: a read that fails (a store read timeout) is reported, not fatal.
    const measure = async (what: string, fn: () => Promise<unknown>) => {
      try {
        const t = await timed(fn);
        m[`${kind} ${what} p50 ms`] = Math.round(t.p50);
        m[`${kind} ${what} p95 ms`] = Math.round(t.p95);
        result.ratios[`${kind} ${what} p95 / energy read`] = t.p95 / Math.max(1, baseline.p95);
        result.ratios[`${kind} ${what} p95 / 1 s target`] = t.p95 / 1000;
      } catch (err) {
        m[`${kind} ${what}`] = `failed: ${(err as Error).message}`;
      }
    };
    await measure('trial 30 nights', async () => {
      const r = await loadTrialReport(deps, trial, trial);
      m[`${kind} trial lamps test/control`] =
        `${r.comparison.test.lamps}/${r.comparison.control.lamps}`;
      m[`${kind} trial lamp-nights test/control`] =
        `${r.comparison.test.lampNights}/${r.comparison.control.lampNights}`;
    });
    await measure('vendor report 7 nights', async () => {
      const r = await loadVendorReport(deps, vendor, { night: lastNight, nights: 7 });
      m[`${kind} report models / nights`] = `${r.models.length}/${r.nightsReported.length}`;
      // The curve rests on the steady minutes (it is not empty because nothing was read).
      m[`${kind} report steady readings at 50 %`] = r.models.reduce(
        (a, x) => a + (x.dimmingCurve.find((c) => c.level === 50)?.samples ?? 0),
        0,
      );
    });
  } finally {
    await store.close();
    await influxd?.stop();
  }
}

export async function run(): Promise<BenchResult> {
  const result: BenchResult = { name: 'reports', metrics: {}, ratios: {}, notes: [] };
  for (const kind of STORES) await benchStore(kind, result);
  result.notes.push(
    `${registry.lamps.length} lamps; vendor ${VENDOR} (${registry.lampsOfVendor(VENDOR).length} lamps); ${RUNS} runs after one warm-up; synthetic rollups (1 h: every lamp, ${HOURLY_NIGHTS} nights; 1 min: the vendor's lamps, ${MINUTE_DAYS} days)`,
  );
  return result;
}

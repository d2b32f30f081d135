/**
 * `npm run bench -- history`: the read path as history grows, on DuckDB and on InfluxDB 1.6.7.
 * The 280-lamp route at 1 Hz is written through the processor's write path (5,000-reading
 * batches, two in flight, the RollupMaintainer keeping rollups and last-state as it does in the
 * processor), over synthetic hourly rollups for a year and 1-minute rollups for a week before
 * it. The gateway's queries run after the first hour and again at the end (ratio: cost must not
 * grow with history), each also answered from raw data only and by a history scan (ratio: what
 * the rollups and last_state buy, in the same run).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RollupMaintainer } from '../services/processor/rollup/RollupMaintainer.ts';
import { silentLogger } from '../shared/log.ts';
import { loadRegistry } from '../shared/registry/index.ts';
import { createDuckdbStore } from '../shared/storage/duckdb/duckdbStore.ts';
import { createInfluxStore } from '../shared/storage/influxdb/influxStore.ts';
import type { PartialRow, Store, StoredTelemetry } from '../shared/storage/port.ts';
import { parseQuery } from '../shared/storage/queries.ts';
import { composedEnergy, composedHistory, NO_ROLLUPS } from '../shared/storage/rollup.ts';
import { startInfluxd, type TestInfluxd } from '../test/helpers/influxd.ts';
import type { BenchResult } from './result.ts';

const HOURS = Number(process.env.BENCH_HISTORY_HOURS ?? 2);
/** The first set of queries runs after this much raw data. */
const FIRST_HOURS = Number(process.env.BENCH_HISTORY_FIRST_HOURS ?? 1);
const HOURLY_DAYS = Number(process.env.BENCH_HISTORY_HOURLY_DAYS ?? 100);
const MINUTE_DAYS = Number(process.env.BENCH_HISTORY_MINUTE_DAYS ?? 1);
/** The "week at 1 minute" query: as many days of minutes as there are (10,000 buckets at most). */
const WEEK_DAYS = Math.min(6, MINUTE_DAYS);
const RUNS = Number(process.env.BENCH_HISTORY_RUNS ?? 10);
/** The replay compared across stages covers the same span at each (at most the first stage). */
const REPLAY_HOURS = Math.min(2, FIRST_HOURS);
/** A night's replay (the target: <= 1 s), at the end only: up to 12 h of raw data. */
const NIGHT_HOURS = Math.min(12, HOURS);
const STORES = (process.env.BENCH_HISTORY_STORES ?? 'duckdb,influxdb').split(',');
const BATCH = 5_000;
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const registry = loadRegistry();
const lamps = registry.lamps.map((l) => ({
  lampId: l.id,
  segmentId: l.segmentId,
  modelId: l.modelId,
  vendorId: registry.vendorOf(l.id)?.id ?? '',
}));
const progress = (msg: string) => console.error(`  [history] ${msg}`);
/** The fill starts on a whole hour, after the synthetic rollups. */
const FILL_T0 = Math.floor(Date.UTC(2026, 10, 1) / HOUR) * HOUR;

function reading(l: number, tick: number): StoredTelemetry {
  const level = 30 + ((tick / 60 + l) % 70);
  return {
    ...lamps[l]!,
    seq: tick,
    ts: FILL_T0 + tick * 1000,
    targetLevel: Math.round(level),
    actualLevel: level,
    activePower: 5 + level * 0.4,
    activeEnergy: 100 + l + tick * 0.00001,
    supplyVoltage: 229 + (tick % 3),
    supplyCurrent: 0.15,
    powerFactor: 0.95,
    operatingHours: 4000 + tick / 3600,
    switchOnCounter: 17,
    gearTemperature: 31 + (tick % 7) / 2,
  };
}

/** Narrow synthetic rollup rows (what the year and week queries read), `per` readings each. */
function syntheticRow(l: number, ts: number, per: number): PartialRow {
  const e0 = 100 + l + (ts - FILL_T0) / 1e8;
  return {
    ...lamps[l]!,
    ts,
    count: per,
    energy: per / 1e5,
    activePower_sum: 25 * per,
    activePower_n: per,
    activePower_min: 20,
    activePower_max: 30,
    activePower_last: 25,
    activeEnergy_min: e0,
    activeEnergy_max: e0 + per / 1e5,
    activeEnergy_last: e0 + per / 1e5,
    actualLevel_last: 50,
  } as PartialRow;
}

async function writeSynthetic(store: Store): Promise<void> {
  const rows: PartialRow[] = [];
  const flush = async (res: '1m' | '1h') => {
    if (rows.length > 0) await store.writeRollups(res, rows.splice(0));
  };
  for (let t = FILL_T0 - HOURLY_DAYS * DAY; t < FILL_T0; t += HOUR) {
    for (let l = 0; l < lamps.length; l++) rows.push(syntheticRow(l, t, 3600));
    if (rows.length >= 20_000) await flush('1h');
  }
  await flush('1h');
  for (let t = FILL_T0 - MINUTE_DAYS * DAY; t < FILL_T0; t += MIN) {
    for (let l = 0; l < lamps.length; l++) rows.push(syntheticRow(l, t, 60));
    if (rows.length >= 20_000) await flush('1m');
  }
  await flush('1m');
}

/** Fill ticks [from, to) through the write path; returns readings/s of each million written. */
async function fill(
  store: Store,
  maintainer: RollupMaintainer,
  from: number,
  to: number,
  rates: number[],
  state: { written: number; mark: number; markAt: number },
): Promise<void> {
  const inFlight: Promise<void>[] = [];
  let batch: StoredTelemetry[] = [];
  const send = async (records: StoredTelemetry[]) => {
    const write = store.writeTelemetry(records).then(() => {
      maintainer.stored([{ kind: 'telemetry', records }]);
      state.written += records.length;
      if (state.written - state.mark >= 1_000_000) {
        const now = performance.now();
        rates.push(((state.written - state.mark) / (now - state.markAt)) * 1000);
        state.mark = state.written;
        state.markAt = now;
      }
    });
    inFlight.push(write);
    // Two writes in flight, committed in order, as the StoreWriter does.
    if (inFlight.length >= 2) await inFlight.shift();
  };
  for (let tick = from; tick < to; tick++) {
    for (let l = 0; l < lamps.length; l++) batch.push(reading(l, tick));
    if (batch.length >= BATCH) {
      await send(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await send(batch);
  await Promise.all(inFlight);
  const caughtUp = performance.now();
  // Let the rollups catch up (everything closed is computed), as a running processor would.
  for (let i = 0; i < 100; i++) {
    await maintainer.flush();
    const s = maintainer.rollupState();
    if (s['1m'].completeUntil >= FILL_T0 + to * 1000 - 2 * MIN) break;
  }
  progress(`rollups caught up ${Math.round(performance.now() - caughtUp)} ms after the last write`);
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};

async function timed(
  fn: () => Promise<unknown>,
  runs = RUNS,
): Promise<{ p50: number; p95: number }> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return { p50: quantile(ms, 0.5), p95: quantile(ms, 0.95) };
}

/** The gateway's queries at the end of the filled window, `end` (epoch ms). */
function queries(store: Store, end: number, final = false) {
  const raw = { partials: store.partials, rollupState: async () => NO_ROLLUPS };
  const lamp = lamps[0]!.lampId;
  const segment = lamps[0]!.segmentId;
  const vendor = lamps[0]!.vendorId;
  const nightly = (s: Pick<Store, 'energy'>) => async () => {
    for (let n = 1; n <= 7; n++)
      await s.energy({
        from: end - n * DAY,
        to: end - (n - 1) * DAY,
        vendorId: vendor,
        groupBy: 'lamp',
      });
  };
  const rawEnergy = {
    energy: (q: Parameters<Store['energy']>[0]) => composedEnergy(raw, parseQuery.energy(q)),
  };
  const replay = (hours: number) => async () => {
    let frames = 0;
    for await (const chunk of store.replay({ from: end - hours * HOUR, to: end, stepMs: 10_000 }))
      frames += chunk.length;
    return frames;
  };
  const h = (q: Parameters<Store['history']>[0]) => ({
    rollups: () => store.history(q),
    raw: () => composedHistory(raw, parseQuery.history(q)),
  });
  return {
    'latest of every lamp': { rollups: () => store.lastState({}), raw: () => store.latest({}) },
    'one lamp 2 h at 1 s': h({
      field: 'activePower',
      agg: 'mean',
      from: end - 2 * HOUR,
      to: end,
      bucketMs: 1000,
      lampIds: [lamp],
    }),
    [`one lamp ${WEEK_DAYS} days at 1 min`]: h({
      field: 'activePower',
      agg: 'mean',
      from: end - WEEK_DAYS * DAY,
      to: end,
      bucketMs: MIN,
      lampIds: [lamp],
    }),
    'one lamp a year at 1 h': h({
      field: 'activePower',
      agg: 'max',
      from: end - 365 * DAY,
      to: end,
      bucketMs: HOUR,
      lampIds: [lamp],
    }),
    'a segment 30 days at 1 h': h({
      field: 'activePower',
      agg: 'mean',
      from: end - 30 * DAY,
      to: end,
      bucketMs: HOUR,
      segmentId: segment,
    }),
    'energy per vendor 30 days': {
      rollups: () => store.energy({ from: end - 30 * DAY, to: end, groupBy: 'vendor' }),
      raw: () => rawEnergy.energy({ from: end - 30 * DAY, to: end, groupBy: 'vendor' }),
    },
    'energy per vendor a year': {
      rollups: () => store.energy({ from: end - 365 * DAY, to: end, groupBy: 'vendor' }),
      raw: () => rawEnergy.energy({ from: end - 365 * DAY, to: end, groupBy: 'vendor' }),
    },
    'vendor report 7 nights': { rollups: nightly(store), raw: nightly(rawEnergy) },
    [`replay all lamps ${REPLAY_HOURS} h at 10 s`]: {
      rollups: replay(REPLAY_HOURS),
      raw: undefined,
    },
    ...(final
      ? {
          [`replay all lamps a night (${NIGHT_HOURS} h) at 10 s`]: { rollups: replay(NIGHT_HOURS) },
        }
      : {}),
  } as Record<string, { rollups: () => Promise<unknown>; raw?: () => Promise<unknown> }>;
}

function dirBytes(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((n, f) => n + dirBytes(join(path, f)), 0);
}

/** Bytes under a path, 0 when it does not exist (a policy InfluxDB made no shard for yet). */
function bytesUnder(path: string): number {
  try {
    return dirBytes(path);
  } catch {
    return 0;
  }
}

const rssMb = () => process.memoryUsage().rss / 1024 / 1024;

async function benchStore(
  kind: string,
  metrics: BenchResult['metrics'],
  ratios: BenchResult['ratios'],
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gadelys-bench-history-'));
  let influxd: TestInfluxd | undefined;
  let store: Store;
  let bytes: () => number;
  if (kind === 'duckdb') {
    const path = join(dir, 'bench.duckdb');
    store = await createDuckdbStore({ path });
    bytes = () => dirBytes(path) + (statSafe(`${path}.wal`) ?? 0);
  } else {
    influxd = await startInfluxd();
    // The bench's data is at fixed dates: every retention policy keeps it (INF), so that none
    // drops it as the calendar moves on.
    store = await createInfluxStore({
      url: influxd.url,
      database: influxd.database,
      retention: { raw: 0, '1m': 0, '1h': 0 },
    });
    const influxDir = influxd.dir;
    bytes = () => dirBytes(join(influxDir, 'data')) + dirBytes(join(influxDir, 'wal'));
  }
  try {
    progress(
      `${kind}: synthetic rollups (${HOURLY_DAYS} days hourly, ${MINUTE_DAYS} days of minutes)`,
    );
    await writeSynthetic(store);
    // The rollups cover the synthetic year: the processor's state says so from its start.
    const spool = join(dir, 'spool');
    mkdirSync(spool);
    writeFileSync(
      join(spool, 'rollups.json'),
      JSON.stringify({
        maxTs: FILL_T0 - 1,
        since: FILL_T0 - HOURLY_DAYS * DAY,
        minutes: [],
        hours: [],
      }),
    );
    const maintainer = await RollupMaintainer.open(
      store,
      { dir: spool, retention: { raw: 0, '1m': 0, '1h': 0 } },
      silentLogger,
      () => FILL_T0,
    );
    maintainer.start();
    if (kind === 'duckdb') await store.deleteBefore('raw', 0); // a checkpoint before measuring
    const before = bytes();
    const rates: number[] = [];
    const state = { written: 0, mark: 0, markAt: performance.now() };
    const stages = [FIRST_HOURS, HOURS];
    let tick = 0;
    const q: Record<string, Record<string, { p50: number; p95: number }>> = {};
    for (const hours of stages) {
      progress(`${kind}: fill to ${hours} h (${(hours * 3600 * lamps.length) / 1e6} M readings)`);
      const fillStart = performance.now();
      const toTick = Math.round(hours * 3600);
      await fill(store, maintainer, tick, toTick, rates, state);
      metrics[`${kind} fill to ${hours} h, readings/s`] = Math.round(
        ((toTick - tick) * lamps.length * 1000) / (performance.now() - fillStart),
      );
      tick = toTick;
      const end = FILL_T0 + tick * 1000;
      progress(`${kind}: queries after ${hours} h`);
      for (const [name, { rollups, raw }] of Object.entries(queries(store, end, hours === HOURS))) {
        const r = await timed(rollups);
        q[`${name} @${hours}h`] = { rollups: r };
        metrics[`${kind} ${name} @${hours}h p50/p95 ms`] =
          `${r.p50.toFixed(1)} / ${r.p95.toFixed(1)}`;
        // As it goes: a run cut short still leaves its figures.
        progress(`${name} @${hours}h p50/p95 ${r.p50.toFixed(1)} / ${r.p95.toFixed(1)} ms`);
        if (raw && hours === HOURS) {
          const b = await timed(raw, Math.max(3, Math.floor(RUNS / 4)));
          metrics[`${kind} ${name} @${hours}h raw only p50 ms`] = b.p50.toFixed(1);
          progress(`${name} @${hours}h raw only p50 ${b.p50.toFixed(1)} ms`);
          ratios[`${kind} ${name}: rollups p50 / raw p50`] = r.p50 / b.p50;
        }
      }
    }
    for (const name of Object.keys(queries(store, 0))) {
      const a = q[`${name} @${FIRST_HOURS}h`]?.rollups;
      const b = q[`${name} @${HOURS}h`]?.rollups;
      if (a && b) ratios[`${kind} ${name}: p50 @${HOURS}h / @${FIRST_HOURS}h`] = b.p50 / a.p50;
    }
    await maintainer.stop();
    if (kind === 'duckdb') await store.deleteBefore('raw', 0);
    const readings = Math.round(HOURS * 3600) * lamps.length;
    metrics[`${kind} bytes per raw reading (with its rollups)`] = Math.round(
      (bytes() - before) / readings,
    );
    if (influxd) {
      // Raw telemetry alone, in its own retention policy: once the cache is snapshotted to TSM
      // (cold after 10 s in the test config) and level-compacted, what a raw reading costs.
      const db = influxd.database;
      const walRaw = join(influxd.dir, 'wal', db, 'raw');
      for (let i = 0; i < 120 && bytesUnder(walRaw) > 64 * 1024; i++)
        await new Promise((r) => setTimeout(r, 1_000));
      metrics[`${kind} bytes per raw reading, raw policy as TSM (after snapshot)`] = Number(
        (bytesUnder(join(influxd.dir, 'data', db, 'raw')) / readings).toFixed(1),
      );
      for (const rp of ['rollup_1m', 'rollup_1h'])
        metrics[`${kind} ${rp} policy MB (synthetic + filled)`] = Math.round(
          (bytesUnder(join(influxd.dir, 'data', db, rp)) +
            bytesUnder(join(influxd.dir, 'wal', db, rp))) /
            1e6,
        );
    }
    metrics[`${kind} fill rate, first million readings/s`] = Math.round(rates[0] ?? 0);
    metrics[`${kind} fill rate, last million readings/s`] = Math.round(rates.at(-1) ?? 0);
    ratios[`${kind} fill rate last / first million`] = (rates.at(-1) ?? 0) / (rates[0] ?? 1);
    metrics[`${kind} writer RSS MB (bench process)`] = Math.round(rssMb());
  } finally {
    await store.close();
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function statSafe(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

export async function run(): Promise<BenchResult> {
  const metrics: BenchResult['metrics'] = {
    'raw hours filled': HOURS,
    'readings written per store': HOURS * 3600 * lamps.length,
    'synthetic hourly rollup days': HOURLY_DAYS,
    'synthetic 1-minute rollup days': MINUTE_DAYS,
  };
  const ratios: BenchResult['ratios'] = {};
  for (const kind of STORES) await benchStore(kind, metrics, ratios);
  return {
    name: 'history',
    metrics,
    ratios,
    notes: [
      'written in-process through the processor write path minus MQTT and the journal: 5,000-reading batches, two in flight, RollupMaintainer marking and computing rollups and last-state',
      'raw only: the same query with no rollup state (every piece from raw data); latest: last_state against a scan of raw history',
      `InfluxDB bytes are data + wal directories without waiting for compaction`,
    ],
  };
}

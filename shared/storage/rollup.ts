/**
 * Rollups and the choice of resolution, on top of the one aggregate read both adapters implement
 * (`Store.partials`). The same code serves InfluxDB and DuckDB:
 *
 * - a 1-minute rollup row is `partials` of raw readings over that minute; a 1-hour row is
 *   `partials` of that hour's 1-minute rows (sum of sums, min of mins, ..., last of lasts), so a
 *   bucket computed again from the same data gives the same row (idempotent by construction);
 * - a read splits its window into pieces, each answered from the coarsest complete resolution
 *   whose buckets fit the requested bucket, and merges the pieces per lamp and bucket. Mean is
 *   sum / n, min and max compose exactly, last is taken from the latest piece that has one: the
 *   answer is the raw one within floating-point rounding (exactly, for min, max, last and energy).
 */
import { TELEMETRY_FIELDS, type TelemetryField } from '../contract/telemetry.ts';
import type {
  Aggregate,
  EnergyRow,
  HistorySeries,
  LampFilter,
  PartialRow,
  PartialStat,
  PartialsQuery,
  Resolution,
  RollupResolution,
  RollupState,
  Store,
} from './port.ts';
import type { ValidEnergy, ValidHistory } from './queries.ts';
import { ROLLUP_STATS, statColumn } from './schema.ts';

export const RESOLUTION_MS: Record<RollupResolution, number> = {
  '1m': 60_000,
  '1h': 3_600_000,
};

/** No rollup is complete anywhere: every read goes to raw data. */
export const NO_ROLLUPS: RollupState = {
  '1m': { since: 0, completeUntil: 0 },
  '1h': { since: 0, completeUntil: 0 },
};

export interface Piece {
  source: Resolution;
  from: number;
  to: number;
}

/**
 * Split [from, to) into pieces in time order, each from the coarsest resolution that is
 * complete there and, when `bucketMs` is given, whose bucket divides it (a requested bucket then
 * never splits a rollup bucket). What is left at the edges goes to the next finer resolution,
 * down to raw.
 */
export function planPieces(
  from: number,
  to: number,
  state: RollupState,
  bucketMs?: number,
): Piece[] {
  const tiers = (['1h', '1m'] as const).filter(
    (r) => bucketMs === undefined || bucketMs % RESOLUTION_MS[r] === 0,
  );
  const out: Piece[] = [];
  const split = (a: number, b: number, i: number) => {
    if (a >= b) return;
    const r = tiers[i];
    if (r === undefined) {
      out.push({ source: 'raw', from: a, to: b });
      return;
    }
    const size = RESOLUTION_MS[r];
    const s = Math.ceil(Math.max(a, state[r].since) / size) * size;
    const e = Math.floor(Math.min(b, state[r].completeUntil) / size) * size;
    if (s >= e) return split(a, b, i + 1);
    split(a, s, i + 1);
    out.push({ source: r, from: s, to: e });
    split(e, b, i + 1);
  };
  split(from, to, 0);
  return out;
}

/** The statistics each aggregate needs. */
export const AGG_STATS: Record<Aggregate, PartialStat[]> = {
  mean: ['sum', 'n'],
  min: ['min'],
  max: ['max'],
  last: ['last'],
};

const num = (row: PartialRow, column: string): number | undefined => {
  const v = row[column];
  return typeof v === 'number' ? v : undefined;
};

/** One bucket's statistics of one field, merged over pieces given in time order. */
export interface Acc {
  sum: number;
  n: number;
  min: number | undefined;
  max: number | undefined;
  last: number | undefined;
}

export function emptyAcc(): Acc {
  return { sum: 0, n: 0, min: undefined, max: undefined, last: undefined };
}

/** The statistic columns of each field, made once (not a string per row and statistic). */
const STAT_COLUMNS = new Map<string, Record<PartialStat, string>>();
function statColumnsOf(field: string): Record<PartialStat, string> {
  let c = STAT_COLUMNS.get(field);
  if (!c) {
    c = {
      sum: statColumn(field, 'sum'),
      n: statColumn(field, 'n'),
      min: statColumn(field, 'min'),
      max: statColumn(field, 'max'),
      last: statColumn(field, 'last'),
    };
    STAT_COLUMNS.set(field, c);
  }
  return c;
}

/** Fold a piece's row into an accumulator (pieces in time order: the later `last` wins). */
export function mergeInto(acc: Acc, row: PartialRow, field: string): void {
  const c = statColumnsOf(field);
  const sum = num(row, c.sum);
  const n = num(row, c.n);
  const min = num(row, c.min);
  const max = num(row, c.max);
  const last = num(row, c.last);
  if (sum !== undefined) acc.sum += sum;
  if (n !== undefined) acc.n += n;
  if (min !== undefined) acc.min = acc.min === undefined ? min : Math.min(acc.min, min);
  if (max !== undefined) acc.max = acc.max === undefined ? max : Math.max(acc.max, max);
  if (last !== undefined) acc.last = last;
}

export function aggValue(acc: Acc, agg: Aggregate): number | undefined {
  switch (agg) {
    case 'mean':
      return acc.n > 0 ? acc.sum / acc.n : undefined;
    case 'min':
      return acc.min;
    case 'max':
      return acc.max;
    case 'last':
      return acc.last;
  }
}

const filterOf = (q: LampFilter): LampFilter => {
  const f: LampFilter = {};
  if (q.lampIds) f.lampIds = q.lampIds;
  if (q.segmentId) f.segmentId = q.segmentId;
  if (q.vendorId) f.vendorId = q.vendorId;
  if (q.modelId) f.modelId = q.modelId;
  return f;
};

type Reads = Pick<Store, 'partials' | 'rollupState'>;

/** `partials` of every piece, in piece (time) order. */
async function readPieces(
  store: Reads,
  pieces: readonly Piece[],
  query: Omit<PartialsQuery, 'source' | 'from' | 'to'>,
): Promise<PartialRow[][]> {
  const out: PartialRow[][] = [];
  for (const p of pieces)
    out.push(await store.partials({ ...query, source: p.source, from: p.from, to: p.to }));
  return out;
}

/** History from the resolutions the window and bucket allow (Store.history of both adapters). */
export async function composedHistory(store: Reads, v: ValidHistory): Promise<HistorySeries[]> {
  const pieces = planPieces(v.from, v.to, await store.rollupState(), v.bucketMs);
  const results = await readPieces(store, pieces, {
    ...filterOf(v),
    bucketMs: v.bucketMs,
    fields: [v.field],
    stats: AGG_STATS[v.agg],
  });
  const byLamp = new Map<string, Map<number, Acc>>();
  for (const rows of results) {
    for (const row of rows) {
      let buckets = byLamp.get(row.lampId);
      if (!buckets) {
        buckets = new Map();
        byLamp.set(row.lampId, buckets);
      }
      let acc = buckets.get(row.ts);
      if (!acc) {
        acc = emptyAcc();
        buckets.set(row.ts, acc);
      }
      mergeInto(acc, row, v.field);
    }
  }
  const series: HistorySeries[] = [];
  for (const lampId of [...byLamp.keys()].sort()) {
    const buckets = byLamp.get(lampId) as Map<number, Acc>;
    const points: HistorySeries['points'] = [];
    for (const t of [...buckets.keys()].sort((a, b) => a - b)) {
      const value = aggValue(buckets.get(t) as Acc, v.agg);
      if (value !== undefined) points.push({ t, value });
    }
    if (points.length > 0) series.push({ lampId, points });
  }
  return series;
}

/**
 * Energy per lamp, segment or vendor: the spread of the cumulative counter over the window, as
 * the smallest and the largest reading of each lamp over hourly pieces, 1-minute edges and raw
 * edges (Store.energy of both adapters). Min and max compose exactly: this is the raw answer.
 */
export async function composedEnergy(store: Reads, v: ValidEnergy): Promise<EnergyRow[]> {
  const pieces = planPieces(v.from, v.to, await store.rollupState());
  const results = await readPieces(store, pieces, {
    ...filterOf(v),
    fields: ['activeEnergy'],
    stats: ['min', 'max'],
  });
  const tag = { lamp: 'lampId', segment: 'segmentId', vendor: 'vendorId' } as const;
  const perLamp = new Map<string, { key: string; acc: Acc }>();
  for (const rows of results) {
    for (const row of rows) {
      const id = `${row.lampId}\u0000${row.segmentId}\u0000${row.vendorId}`;
      let entry = perLamp.get(id);
      if (!entry) {
        entry = { key: String(row[tag[v.groupBy]] ?? ''), acc: emptyAcc() };
        perLamp.set(id, entry);
      }
      mergeInto(entry.acc, row, 'activeEnergy');
    }
  }
  const sums = new Map<string, number>();
  for (const { key, acc } of perLamp.values()) {
    if (acc.min === undefined || acc.max === undefined) continue;
    sums.set(key, (sums.get(key) ?? 0) + (acc.max - acc.min));
  }
  return [...sums]
    .map(([key, kWh]) => ({ key, kWh }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Compute and store the rollup rows of [from, to) at one resolution from the next finer one
 * (1m from raw, 1h from 1m), replacing what was there. Returns the rows written.
 */
export async function computeRollups(
  store: Pick<Store, 'partials' | 'writeRollups'>,
  resolution: RollupResolution,
  from: number,
  to: number,
): Promise<PartialRow[]> {
  const rows = await store.partials({
    source: resolution === '1m' ? 'raw' : '1m',
    from,
    to,
    bucketMs: RESOLUTION_MS[resolution],
    fields: [...TELEMETRY_FIELDS] as TelemetryField[],
    stats: [...ROLLUP_STATS],
    count: true,
  });
  for (const row of rows) {
    const min = num(row, statColumn('activeEnergy', 'min'));
    const max = num(row, statColumn('activeEnergy', 'max'));
    if (min !== undefined && max !== undefined) row.energy = max - min;
  }
  if (rows.length > 0) await store.writeRollups(resolution, rows);
  return rows;
}

/**
 * `partials` computed here from the rows themselves (raw readings, or rollup rows: `source`
 * says which columns to read), sorted by time. For a store whose own aggregates are slow over
 * many fields (InfluxDB 1.x takes ~2 s for a minute of the route's 12 fields x 5 statistics,
 * and ~0.3 s to return the rows): same statistics, same buckets.
 */
export function aggregateRows(
  rows: readonly Record<string, unknown>[],
  q: Omit<PartialsQuery, keyof LampFilter>,
): PartialRow[] {
  const raw = q.source === 'raw';
  // [column read, column written, statistic], made once (not per row).
  const plan: [string, string, PartialStat][] = [];
  for (const f of q.fields)
    for (const s of q.stats) plan.push([raw ? f : statColumn(f, s), statColumn(f, s), s]);
  const out = new Map<string, PartialRow>();
  for (const r of rows) {
    const ts = r.ts as number;
    const t = q.bucketMs === undefined ? q.from : Math.floor(ts / q.bucketMs) * q.bucketMs;
    const key = `${r.lampId}\u0000${r.segmentId}\u0000${r.vendorId}\u0000${r.modelId}\u0000${t}`;
    let acc = out.get(key);
    if (!acc) {
      acc = {
        lampId: r.lampId as string,
        segmentId: r.segmentId as string,
        vendorId: r.vendorId as string,
        modelId: r.modelId as string,
        ts: t,
      } as PartialRow;
      out.set(key, acc);
    }
    if (q.count)
      acc.count = ((acc.count as number | undefined) ?? 0) + (raw ? 1 : Number(r.count ?? 0));
    for (const [from, to, s] of plan) {
      const v = r[from];
      if (typeof v !== 'number') continue;
      const had = acc[to] as number | undefined;
      if (s === 'sum') acc[to] = (had ?? 0) + v;
      else if (s === 'n') acc[to] = (had ?? 0) + (raw ? 1 : v);
      else if (s === 'min') acc[to] = had === undefined || v < had ? v : had;
      else if (s === 'max') acc[to] = had === undefined || v > had ? v : had;
      else acc[to] = v;
    }
  }
  return [...out.values()];
}

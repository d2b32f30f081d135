/**
 * Per-lamp buckets of min, max, sum, count and last of the fields a report needs (12-hour
 * buckets of the counters for the vendor report, of energy and commanded level for trials).
 * Read through the storage port's one aggregate read, from the coarsest resolution that is
 * complete (the hourly rollups where the processor keeps them), so a report costs the same on a
 * lab that has run for a year as on a new one. The dimming curve reads the steady-state tier
 * instead (shared/storage/steady.ts).
 */
import type { TelemetryField } from '../../../shared/contract/index.ts';
import type { LampFilter, PartialRow, PartialStat, Store } from '../../../shared/storage/port.ts';
import { type Acc, emptyAcc, mergeInto, planPieces } from '../../../shared/storage/rollup.ts';

/** Default bucket of `readBuckets`. */
export const REPORT_BUCKET_MS = 10 * 60_000;

export const BUCKET_FIELDS = [
  'targetLevel',
  'actualLevel',
  'activePower',
  'activeEnergy',
  'operatingHours',
  'switchOnCounter',
  'illuminance',
] as const satisfies readonly TelemetryField[];
export type BucketField = (typeof BUCKET_FIELDS)[number];

export interface LampBucket {
  ts: number;
  /** Readings in the bucket. */
  count: number;
  stats: Record<BucketField, Acc>;
}

/** Per lamp, its buckets in time order. */
export type LampBuckets = Map<string, LampBucket[]>;

function emptyBucket(ts: number): LampBucket {
  const stats = {} as Record<BucketField, Acc>;
  for (const f of BUCKET_FIELDS) stats[f] = emptyAcc();
  return { ts, count: 0, stats };
}

/** Merge rows of several pieces (in time order) into per-lamp buckets. Pure. */
export function mergeBucketRows(pieces: readonly (readonly PartialRow[])[]): LampBuckets {
  const byLamp = new Map<string, Map<number, LampBucket>>();
  for (const rows of pieces) {
    for (const row of rows) {
      let buckets = byLamp.get(row.lampId);
      if (!buckets) {
        buckets = new Map();
        byLamp.set(row.lampId, buckets);
      }
      let b = buckets.get(row.ts);
      if (!b) {
        b = emptyBucket(row.ts);
        buckets.set(row.ts, b);
      }
      const count = row.count;
      if (typeof count === 'number') b.count += count;
      for (const f of BUCKET_FIELDS) mergeInto(b.stats[f], row, f);
    }
  }
  const out: LampBuckets = new Map();
  for (const [lampId, buckets] of byLamp)
    out.set(
      lampId,
      [...buckets.values()].sort((a, b) => a.ts - b.ts),
    );
  return out;
}

/** Buckets of two reads of other fields over the same window and bucket, as one. Pure. */
export function mergeBuckets(a: LampBuckets, b: LampBuckets): LampBuckets {
  const out: LampBuckets = new Map();
  for (const [lampId, list] of a)
    out.set(
      lampId,
      list.map((x) => ({ ...x, stats: { ...x.stats } })),
    );
  for (const [lampId, list] of b) {
    const mine = out.get(lampId) ?? [];
    const at = new Map(mine.map((x) => [x.ts, x]));
    for (const x of list) {
      const had = at.get(x.ts);
      if (!had) {
        mine.push(x);
        continue;
      }
      for (const f of BUCKET_FIELDS)
        if (x.stats[f].n > 0 || x.stats[f].min !== undefined) had.stats[f] = x.stats[f];
      had.count = Math.max(had.count, x.count);
    }
    out.set(
      lampId,
      mine.sort((p, q) => p.ts - q.ts),
    );
  }
  return out;
}

/**
 * The buckets of every lamp the filter covers over [from, to) (from aligned to the bucket):
 * 10-minute buckets of every report field unless `opts` asks for others.
 */
export async function readBuckets(
  store: Pick<Store, 'partials' | 'rollupState'>,
  filter: LampFilter,
  from: number,
  to: number,
  opts: { bucketMs?: number; fields?: readonly BucketField[]; stats?: readonly PartialStat[] } = {},
): Promise<LampBuckets> {
  const bucketMs = opts.bucketMs ?? REPORT_BUCKET_MS;
  const pieces = planPieces(from, to, await store.rollupState(), bucketMs);
  const results: PartialRow[][] = [];
  for (const p of pieces)
    results.push(
      await store.partials({
        ...filter,
        source: p.source,
        from: p.from,
        to: p.to,
        bucketMs,
        fields: [...(opts.fields ?? BUCKET_FIELDS)],
        // `last` only where asked: it is the costly statistic (arg_max) and the report needs none.
        stats: [...(opts.stats ?? ['sum', 'n', 'min', 'max'])],
        count: true,
      }),
    );
  return mergeBucketRows(results);
}

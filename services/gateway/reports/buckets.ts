/**
 * The readings a report rests on, as per-lamp 10-minute buckets of min, max, sum, count and last
 * for each field a report needs. Read through the storage port's one aggregate read, from the
 * coarsest resolution that is complete (the 1-minute rollups where the processor keeps them),
 * so a 7-night report costs the same on a lab that has run for a year as on a new one.
 */
import type { TelemetryField } from '../../../shared/contract/index.ts';
import type { LampFilter, PartialRow, PartialStat, Store } from '../../../shared/storage/port.ts';
import { type Acc, emptyAcc, mergeInto, planPieces } from '../../../shared/storage/rollup.ts';

/** Bucket of the report's readings: fine enough for steady levels, coarse enough to stay fast. */
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

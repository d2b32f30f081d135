import { z } from 'zod';
import { Id, TelemetryField } from '../../../shared/contract/index.ts';
import { QUERY_LIMITS } from '../../../shared/storage/queries.ts';

/** `a,b,c` in a query string -> ids, each validated (keeps injection out of storage queries). */
export const IdList = z
  .string()
  .max(20_000)
  .transform((s) => s.split(',').filter((x) => x !== ''))
  .pipe(z.array(Id).min(1).max(QUERY_LIMITS.maxLampIds));

const epochMs = z.coerce.number().int().min(0).max(4_102_444_800_000);

export const LampFilterQuery = z.object({
  lampIds: IdList.optional(),
  segmentId: Id.optional(),
  vendorId: Id.optional(),
  modelId: Id.optional(),
});

export const LampListQuery = LampFilterQuery.extend({
  status: z.enum(['online', 'offline', 'unknown']).optional(),
});

/** `night=YYYY-MM-DD`: noon to noon UTC, which holds a whole Danish night in every season. */
export const NIGHT = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'night is YYYY-MM-DD');

export function nightWindow(night: string): { from: number; to: number } {
  const from = Date.parse(`${night}T12:00:00Z`);
  return { from, to: from + 24 * 3_600_000 };
}

export const WindowQuery = LampFilterQuery.extend({
  from: epochMs.optional(),
  to: epochMs.optional(),
  night: NIGHT.optional(),
  limit: z.coerce.number().int().min(1).max(QUERY_LIMITS.maxRows).optional(),
});

export const HistoryQueryParams = WindowQuery.extend({
  field: TelemetryField,
  bucketMs: z.coerce.number().int().min(1000).max(86_400_000).default(60_000),
  agg: z.enum(['mean', 'min', 'max', 'last']).default('mean'),
});

export const EnergyQueryParams = WindowQuery.extend({
  groupBy: z.enum(['lamp', 'segment', 'vendor']).default('lamp'),
});

/** Resolve a window from from/to or night; the default is the last `defaultMs`. */
export function windowOf(
  q: { from?: number; to?: number; night?: string },
  now: number,
  defaultMs: number,
) {
  if (q.night !== undefined) return nightWindow(q.night);
  const to = q.to ?? now;
  return { from: q.from ?? to - defaultMs, to };
}

/** Drop undefined members: storage filters treat a present key as a filter. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

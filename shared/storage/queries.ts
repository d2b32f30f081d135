/**
 * Validation of read parameters, shared by both adapters and run before any query is built.
 * Ids must match the contract's id alphabet (no quotes, slashes or spaces), fields come from the
 * telemetry whitelist, times are bounded integers: what reaches a query builder is already inert.
 */
import { z } from 'zod';
import { Id, Timestamp } from '../contract/common.ts';
import { describeIssues } from '../contract/decode.ts';
import { TelemetryField } from '../contract/telemetry.ts';
import {
  type EnergyQuery,
  type HistoryQuery,
  type LampFilter,
  type PartialsQuery,
  type ReplayQuery,
  type SteadyQuery,
  StoreQueryError,
  type WindowQuery,
} from './port.ts';

export const QUERY_LIMITS = {
  maxLampIds: 1_000,
  minBucketMs: 1_000,
  maxBuckets: 10_000,
  defaultRows: 1_000,
  maxRows: 10_000,
} as const;

const filterShape = {
  lampIds: z.array(Id).min(1).max(QUERY_LIMITS.maxLampIds).optional(),
  segmentId: Id.optional(),
  vendorId: Id.optional(),
  modelId: Id.optional(),
};

const windowShape = { from: Timestamp, to: Timestamp };
const windowOrdered = (q: { from: number; to: number }) => q.to > q.from;
const windowIssue = { message: 'to must be after from', path: ['to'] };

export const LampFilterSchema = z.strictObject(filterShape);

export const HistoryQuerySchema = z
  .strictObject({
    ...filterShape,
    ...windowShape,
    field: TelemetryField,
    bucketMs: z.number().int().min(QUERY_LIMITS.minBucketMs),
    agg: z.enum(['mean', 'min', 'max', 'last']),
  })
  .refine(windowOrdered, windowIssue)
  .refine((q) => (q.to - q.from) / q.bucketMs <= QUERY_LIMITS.maxBuckets, {
    message: `at most ${QUERY_LIMITS.maxBuckets} buckets`,
    path: ['bucketMs'],
  });

export const EnergyQuerySchema = z
  .strictObject({ ...filterShape, ...windowShape, groupBy: z.enum(['lamp', 'segment', 'vendor']) })
  .refine(windowOrdered, windowIssue);

const limit = z.number().int().min(1).max(QUERY_LIMITS.maxRows).default(QUERY_LIMITS.defaultRows);

export const WindowQuerySchema = z
  .strictObject({ ...filterShape, ...windowShape, limit })
  .refine(windowOrdered, windowIssue);

export const AlarmQuerySchema = z
  .strictObject({
    lampIds: filterShape.lampIds,
    segmentId: filterShape.segmentId,
    ...windowShape,
    limit,
  })
  .refine(windowOrdered, windowIssue);

export const PartialsQuerySchema = z
  .strictObject({
    ...filterShape,
    ...windowShape,
    source: z.enum(['raw', '1m', '1h']),
    bucketMs: z.number().int().min(QUERY_LIMITS.minBucketMs).optional(),
    fields: z.array(TelemetryField).min(1),
    stats: z.array(z.enum(['sum', 'n', 'min', 'max', 'last'])).min(1),
    count: z.boolean().optional(),
  })
  .refine(windowOrdered, windowIssue)
  .refine((q) => !q.bucketMs || (q.to - q.from) / q.bucketMs <= QUERY_LIMITS.maxBuckets, {
    message: `at most ${QUERY_LIMITS.maxBuckets} buckets`,
    path: ['bucketMs'],
  });

/** The steady-state tier's rows of a window (at most 62 nights: a trial's longest). */
export const SteadyQuerySchema = z
  .strictObject({ ...filterShape, ...windowShape })
  .refine(windowOrdered, windowIssue)
  .refine((q) => q.to - q.from <= 62 * 86_400_000, {
    message: 'at most 62 days',
    path: ['to'],
  });

/** A replay: at most this many steps (a night at 1 s is 43,200). */
export const MAX_REPLAY_STEPS = 100_000;

export const ReplayQuerySchema = z
  .strictObject({
    ...filterShape,
    ...windowShape,
    stepMs: z.number().int().min(QUERY_LIMITS.minBucketMs),
  })
  .refine(windowOrdered, windowIssue)
  .refine((q) => (q.to - q.from) / q.stepMs <= MAX_REPLAY_STEPS, {
    message: `at most ${MAX_REPLAY_STEPS} steps`,
    path: ['stepMs'],
  });

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const { reason, path } = describeIssues(result.error);
  throw new StoreQueryError(`${what}: ${reason}`, path);
}

export const parseQuery = {
  filter: (q: LampFilter) => parse(LampFilterSchema, q, 'latest'),
  history: (q: HistoryQuery) => parse(HistoryQuerySchema, q, 'history'),
  energy: (q: EnergyQuery) => parse(EnergyQuerySchema, q, 'energy'),
  window: (q: WindowQuery) => parse(WindowQuerySchema, q, 'events'),
  alarms: (q: Omit<WindowQuery, 'vendorId' | 'modelId'>) => parse(AlarmQuerySchema, q, 'alarms'),
  partials: (q: PartialsQuery) => parse(PartialsQuerySchema, q, 'partials'),
  replay: (q: ReplayQuery) => parse(ReplayQuerySchema, q, 'replay'),
  steady: (q: SteadyQuery) => parse(SteadyQuerySchema, q, 'steady'),
};

export type ValidFilter = z.infer<typeof LampFilterSchema>;
export type ValidHistory = z.infer<typeof HistoryQuerySchema>;
export type ValidEnergy = z.infer<typeof EnergyQuerySchema>;
export type ValidWindow = z.infer<typeof WindowQuerySchema>;
export type ValidAlarmQuery = z.infer<typeof AlarmQuerySchema>;
export type ValidPartials = z.infer<typeof PartialsQuerySchema>;
export type ValidReplay = z.infer<typeof ReplayQuerySchema>;
export type ValidSteady = z.infer<typeof SteadyQuerySchema>;

/** Bucket start for a timestamp: buckets align to the epoch, as InfluxQL's GROUP BY time() does. */
export const bucketStart = (ts: number, bucketMs: number) => Math.floor(ts / bucketMs) * bucketMs;

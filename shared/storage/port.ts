/**
 * The storage port: one interface, two adapters (InfluxDB, embedded DuckDB) that pass one shared
 * contract test suite. The processor writes through it; the gateway reads through it.
 * Owned by the processor; extend it, keep what is here stable for the gateway.
 */
import type { Alarm } from '../contract/alarms.ts';
import type { CommandAck } from '../contract/commands.ts';
import type { LampEvent } from '../contract/events.ts';
import type { LampStatus } from '../contract/status.ts';
import type { Telemetry, TelemetryField } from '../contract/telemetry.ts';

/** Tags stored with every lamp point (bounded cardinality, from the registry). */
export interface LampTags {
  lampId: string;
  segmentId: string;
  vendorId: string;
  modelId: string;
}

export type StoredTelemetry = Telemetry & LampTags;
export type StoredEvent = LampEvent & LampTags;
export type StoredStatus = LampStatus & LampTags;
export type StoredAck = CommandAck & LampTags;

/** Which lamps a read covers; absent members do not filter. Vendors see only their own. */
export interface LampFilter {
  lampIds?: string[];
  segmentId?: string;
  vendorId?: string;
  modelId?: string;
}

export type Aggregate = 'mean' | 'min' | 'max' | 'last';

export interface HistoryQuery extends LampFilter {
  field: TelemetryField;
  /** Window, epoch ms, from inclusive, to exclusive. */
  from: number;
  to: number;
  bucketMs: number;
  agg: Aggregate;
}

export interface HistorySeries {
  lampId: string;
  points: { t: number; value: number | null }[];
}

export interface EnergyQuery extends LampFilter {
  from: number;
  to: number;
  groupBy: 'lamp' | 'segment' | 'vendor';
}

export interface EnergyRow {
  key: string;
  /** Energy used in the window (difference of the cumulative counter), kWh. */
  kWh: number;
}

export interface WindowQuery extends LampFilter {
  from: number;
  to: number;
  /** Most rows returned, oldest first; 1-10,000, default 1,000. */
  limit?: number;
}

/** What a read is answered from: raw readings, or the processor's 1-minute or 1-hour rollups. */
export type Resolution = 'raw' | '1m' | '1h';
export type RollupResolution = Exclude<Resolution, 'raw'>;
export type PartialStat = 'sum' | 'n' | 'min' | 'max' | 'last';

/**
 * The one aggregate read both adapters implement and everything else is built on (rollup.ts):
 * per lamp (its tag set) and epoch-aligned bucket, statistics of fields that combine exactly
 * across buckets and resolutions. From raw data `sum`/`n`/`min`/`max`/`last` are those of the
 * readings; from a rollup they are those of the rollup's columns (sum of sums, ...).
 */
export interface PartialsQuery extends LampFilter {
  source: Resolution;
  from: number;
  to: number;
  /** Bucket size; absent: the whole window is one bucket (t = from). */
  bucketMs?: number;
  fields: TelemetryField[];
  stats: PartialStat[];
  /** Also the number of readings (`count`). */
  count?: boolean;
}

/** One lamp's bucket: tags, bucket start `ts`, and `<field>_<stat>` / `count` columns present. */
export type PartialRow = LampTags & { ts: number } & { [column: string]: number | string };

/**
 * A row of the steady-state tier (steady.ts): per lamp, hour (`ts`) and steady `level` ('50',
 * or 'any' for the lamp-hour's totals), the minutes and readings it covers, `hourCount` (the
 * lamp-hour's readings when it was computed) and `<field>_sum` / `<field>_n` of the steady
 * fields; the `any` row also has `slots` (bit i: 10-minute slot i had readings) and `first`
 * (the first minute with readings).
 */
export type SteadyRow = LampTags & {
  ts: number;
  level: string;
  minutes: number;
  count: number;
  hourCount?: number;
  slots?: number;
  first?: number;
} & { [column: string]: number | string | undefined };

/** The tier rows of a window, for the lamps the filter covers. */
export interface SteadyQuery extends LampFilter {
  from: number;
  to: number;
}

/**
 * Which buckets of each rollup resolution are complete: those in [since, completeUntil). Reads
 * take anything outside from finer data (history written before the rollups began, the open
 * bucket, a bucket a late reading made dirty until it is computed again).
 */
export type RollupState = Record<RollupResolution, { since: number; completeUntil: number }>;

export interface ReplayQuery extends LampFilter {
  from: number;
  to: number;
  /** Step between frames, ms (at least 1 s). */
  stepMs: number;
}

/**
 * One step of a replay: each lamp's level (actualLevel, %) and power (activePower, W), the last
 * of the step's readings (a lamp without one is absent), and status changes within the step.
 */
export interface ReplayFrame {
  t: number;
  level: Record<string, number>;
  power: Record<string, number>;
  state: Record<string, string>;
}

/** Status of lamps over a window: the state each had at `from` and what changed within. */
export interface StatusChanges {
  initial: { lampId: string; state: string; ts: number }[];
  changes: { lampId: string; state: string; ts: number }[];
}

/**
 * Every adapter error. `retryable` says whether the same call may succeed later (store down,
 * overloaded, timed out): the processor spools and retries those, and sets the others aside.
 * Rejected read parameters are a StoreQueryError, never retryable.
 */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** A read parameter failed validation; `path` names it. Nothing was sent to the store. */
export class StoreQueryError extends StoreError {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message, false);
    this.name = 'StoreQueryError';
  }
}

export interface StoreHealth {
  ok: boolean;
  /** Server version where the store has one (InfluxDB), or the embedded engine's. */
  version?: string;
  detail?: string;
}

/** What a store writes, one measurement each (the processor's journal kinds). */
export type WriteKind = 'telemetry' | 'event' | 'status' | 'ack' | 'alarm';

/**
 * Records already encoded for one store's write path (InfluxDB: line protocol, UTF-8). Opaque.
 * Bytes, not a string: encoded records wait in the processor's queue until the store takes them,
 * and a string that waits is copied into V8's old generation and marked there (in the batched
 * ingest bench about half of all the processor's promoted bytes); a Buffer's bytes live outside
 * the JavaScript heap.
 */
export interface EncodedRecords {
  readonly body: Uint8Array;
  /** Records it was made of (readings, for batching and counting). */
  readonly count: number;
  /** Telemetry: the distinct minutes (bucket starts, epoch ms) its readings fall in (rollups). */
  readonly minutes?: readonly number[];
  /** Telemetry: the newest device time among its readings. */
  readonly maxTs?: number;
}

/**
 * Writes are idempotent: a point is identified by kind, lamp tags and device timestamp, so
 * writing the same batch twice stores it once. Reads validate every parameter (StoreQueryError)
 * and never paste strings into a query. All methods reject with StoreError.
 */
export interface Store {
  readonly kind: 'influxdb' | 'duckdb';
  writeTelemetry(points: readonly StoredTelemetry[]): Promise<void>;
  writeEvents(events: readonly StoredEvent[]): Promise<void>;
  writeStatus(status: readonly StoredStatus[]): Promise<void>;
  writeAcks(acks: readonly StoredAck[]): Promise<void>;
  writeAlarms(alarms: readonly Alarm[]): Promise<void>;
  /**
   * Optional write fast path, for a store with a text wire format: encode records once, when
   * they arrive, and keep only the encoding queued (no object copies held until the write).
   * `writeEncoded` stores exactly what the matching `write*` call would have stored.
   */
  encode?(kind: WriteKind, records: readonly object[]): EncodedRecords;
  writeEncoded?(kind: WriteKind, parts: readonly EncodedRecords[]): Promise<void>;
  /**
   * The newest reading of each lamp matching the filter, from raw history (a scan: for start-up
   * use `lastState`); `window` bounds the scan.
   */
  latest(filter: LampFilter, window?: { from: number; to: number }): Promise<StoredTelemetry[]>;
  /** The newest reading of each lamp as the processor keeps it (last_state): no history scan. */
  lastState(filter: LampFilter): Promise<StoredTelemetry[]>;
  writeLastState(readings: readonly StoredTelemetry[]): Promise<void>;
  /** The aggregate read (see PartialsQuery); raw or rollups as `source` says. */
  partials(query: PartialsQuery): Promise<PartialRow[]>;
  /** Rollup rows (from `partials` with count, plus `energy`), replacing those of the same bucket. */
  writeRollups(resolution: RollupResolution, rows: readonly PartialRow[]): Promise<void>;
  rollupState(): Promise<RollupState>;
  writeRollupState(state: RollupState): Promise<void>;
  /**
   * The steady-state tier (steady.ts), kept by the processor with the hourly rollups. Optional:
   * without it readers compute the same rows from the 1-minute rollups.
   */
  steady?(query: SteadyQuery): Promise<SteadyRow[]>;
  writeSteady?(rows: readonly SteadyRow[]): Promise<void>;
  /** Every lamp's level, power and state at each step of a window, in time order. */
  replay(query: ReplayQuery): AsyncIterable<ReplayFrame[]>;
  statusChanges(query: WindowQuery): Promise<StatusChanges>;
  /** Retention: delete raw telemetry (`raw`) or a rollup's rows older than `cutoff`. */
  deleteBefore(source: Resolution, cutoff: number): Promise<void>;
  /** From raw, 1-minute or 1-hour data by bucket size and window (the same answer within rounding). */
  history(query: HistoryQuery): Promise<HistorySeries[]>;
  /** From hourly rollups plus 1-minute and raw edges; exactly the raw answer (min/max compose). */
  energy(query: EnergyQuery): Promise<EnergyRow[]>;
  events(query: WindowQuery): Promise<StoredEvent[]>;
  /** Command acknowledgements as lamps sent them (device time), oldest first. */
  acks(query: WindowQuery): Promise<StoredAck[]>;
  alarms(query: Omit<WindowQuery, 'vendorId' | 'modelId'>): Promise<Alarm[]>;
  /** Is the store reachable and writable right now? Never rejects. */
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

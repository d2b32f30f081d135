/**
 * The storage port: one interface, two adapters (InfluxDB, embedded DuckDB) that pass one shared
 * contract test suite. The processor writes through it; the gateway reads through it.
 * Owned by the processor (issue 5); extend it, keep what is here stable for the gateway.
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
  /** The newest reading of each lamp matching the filter. */
  latest(filter: LampFilter): Promise<StoredTelemetry[]>;
  history(query: HistoryQuery): Promise<HistorySeries[]>;
  energy(query: EnergyQuery): Promise<EnergyRow[]>;
  events(query: WindowQuery): Promise<StoredEvent[]>;
  alarms(query: Omit<WindowQuery, 'vendorId' | 'modelId'>): Promise<Alarm[]>;
  /** Is the store reachable and writable right now? Never rejects. */
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

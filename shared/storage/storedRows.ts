/**
 * How the processor's own measurements (rollup_state, last_state) are laid out as records and
 * read back, the same for both adapters.
 */
import type { Resolution, RollupResolution, RollupState, Store, StoredTelemetry } from './port.ts';
import { NO_ROLLUPS } from './rollup.ts';

export const ROLLUP_TABLE = { '1m': 'rollup_1m', '1h': 'rollup_1h' } as const satisfies Record<
  RollupResolution,
  string
>;

/** The measurement (table) a resolution is stored in. */
export const sourceTable = (source: Resolution) =>
  source === 'raw' ? 'telemetry' : ROLLUP_TABLE[source];

/** How far back replay looks for each lamp's state at the start of its window. */
export const STATUS_LOOKBACK_MS = 7 * 24 * 3_600_000;

/** last_state points sit at time 0 (a newer one replaces the older); the reading's time is a field. */
export function toLastStateRecords(readings: readonly StoredTelemetry[]): object[] {
  return readings.map((r) => ({ ...r, readingTs: r.ts, ts: 0 }));
}

/** last_state rows back to readings: the newest per lamp (a lamp whose tags changed has two). */
export function fromLastStateRows(rows: readonly Record<string, unknown>[]): StoredTelemetry[] {
  const newest = new Map<string, StoredTelemetry>();
  for (const row of rows) {
    const { readingTs, ts: _zero, ...rest } = row;
    if (typeof readingTs !== 'number' || typeof rest.lampId !== 'string') continue;
    const reading = { ...rest, ts: readingTs } as unknown as StoredTelemetry;
    const seen = newest.get(reading.lampId);
    if (!seen || reading.ts > seen.ts) newest.set(reading.lampId, reading);
  }
  return [...newest.values()].sort((a, b) =>
    a.lampId < b.lampId ? -1 : a.lampId > b.lampId ? 1 : 0,
  );
}

export function rollupStateRecords(state: RollupState): object[] {
  return (Object.keys(state) as RollupResolution[]).map((resolution) => ({
    resolution,
    ts: 0,
    since: state[resolution].since,
    completeUntil: state[resolution].completeUntil,
  }));
}

export function rollupStateFromRows(rows: readonly Record<string, unknown>[]): RollupState {
  const state: RollupState = { '1m': { ...NO_ROLLUPS['1m'] }, '1h': { ...NO_ROLLUPS['1h'] } };
  for (const row of rows) {
    const r = row.resolution;
    if ((r === '1m' || r === '1h') && typeof row.completeUntil === 'number')
      state[r] = { since: Number(row.since ?? 0), completeUntil: row.completeUntil };
  }
  return state;
}

/**
 * The newest reading of every lamp, for a service's start: from last_state (no history scan),
 * or, in a store written before last_state existed, from raw history once.
 */
export async function newestReadings(store: Pick<Store, 'lastState' | 'latest'>) {
  const kept = await store.lastState({});
  return kept.length > 0 ? kept : store.latest({});
}

/**
 * Decoding the gateway's compact live frames into the LiveTable. The frame is checked before
 * anything is written (columns of one length, positions inside the snapshot's table, numbers
 * where numbers belong) and a bad one is refused whole, naming the failing path. This is a
 * hand-written check rather than a schema library: a 100,000-lamp snapshot has a million cells
 * and the page must stay responsive while it arrives.
 */
import type { LiveColumns, LiveField } from '../../../services/gateway/api.ts';
import { type LiveFrame, NO_TIME } from '../../../shared/live/binaryFrames.ts';
import type { LiveTable } from './LiveTable.ts';

/** The gateway's LIVE_FIELDS, and where each goes in the table. */
const FIELD_TARGET: Record<LiveField, keyof LiveTable> = {
  actualLevel: 'level',
  targetLevel: 'target',
  activePower: 'power',
  supplyVoltage: 'voltage',
  supplyCurrent: 'current',
  activeEnergy: 'energy',
  illuminance: 'lux',
  seq: 'seq',
};
export const LIVE_FIELD_NAMES = Object.keys(FIELD_TARGET) as LiveField[];
const STATUS_COUNT = 3;

export class FrameError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

function numberOrNull(v: unknown): boolean {
  return v === null || (typeof v === 'number' && Number.isFinite(v));
}

/** Throws FrameError unless `live` is well formed for a table of `positions` lamps. */
export function checkColumns(
  live: unknown,
  positions: number,
  at = 'live',
): asserts live is LiveColumns {
  if (typeof live !== 'object' || live === null) throw new FrameError(at, 'not an object');
  const cols = live as Record<string, unknown>;
  const i = cols.i;
  if (!Array.isArray(i)) throw new FrameError(`${at}.i`, 'not an array');
  const n = i.length;
  for (const name of ['status', 'statusTs', 'ts', ...LIVE_FIELD_NAMES]) {
    const col = cols[name];
    if (!Array.isArray(col)) throw new FrameError(`${at}.${name}`, 'not an array');
    if (col.length !== n)
      throw new FrameError(`${at}.${name}`, `${col.length} entries, i has ${n}`);
  }
  for (let k = 0; k < n; k++) {
    const p = i[k];
    if (!Number.isInteger(p) || p < 0 || p >= positions)
      throw new FrameError(`${at}.i[${k}]`, `not a position in the snapshot (0-${positions - 1})`);
    const s = (cols.status as unknown[])[k];
    if (!Number.isInteger(s) || (s as number) < 0 || (s as number) >= STATUS_COUNT)
      throw new FrameError(`${at}.status[${k}]`, 'not a status code');
  }
  for (const name of ['statusTs', 'ts', ...LIVE_FIELD_NAMES]) {
    const col = cols[name] as unknown[];
    for (let k = 0; k < n; k++)
      if (!numberOrNull(col[k]))
        throw new FrameError(`${at}.${name}[${k}]`, 'not a number or null');
  }
}

/**
 * Write checked columns into the table. `rows[p]` is the table row of snapshot position p
 * (-1: a lamp the registry answer did not have). Returns how many lamps changed.
 */
export function applyColumns(
  table: LiveTable,
  rows: Int32Array,
  live: LiveColumns,
  t0: number,
): number {
  const n = live.i.length;
  let changed = 0;
  const targets = LIVE_FIELD_NAMES.map(
    (f) => [live[f], table[FIELD_TARGET[f]] as Float32Array | Float64Array] as const,
  );
  for (let k = 0; k < n; k++) {
    const row = rows[live.i[k]!]!;
    if (row < 0) continue;
    changed += 1;
    table.status[row] = live.status[k]!;
    const st = live.statusTs[k];
    table.statusTs[row] = st === null || st === undefined ? Number.NaN : st + t0;
    const ts = live.ts[k];
    if (ts === null || ts === undefined) continue;
    table.ts[row] = ts + t0;
    for (const [col, target] of targets) {
      const v = col[k];
      target[row] = v === null || v === undefined ? Number.NaN : v;
    }
  }
  if (changed > 0) table.version += 1;
  return changed;
}

/** Map snapshot positions to table rows by lamp id. */
export function rowsOf(table: LiveTable, lampIds: readonly unknown[]): Int32Array {
  const rows = new Int32Array(lampIds.length);
  lampIds.forEach((id, p) => {
    if (typeof id !== 'string') throw new FrameError(`lampIds[${p}]`, 'not a lamp id');
    rows[p] = table.indexOf.get(id) ?? -1;
  });
  return rows;
}

/**
 * Write a checked binary frame (GLF1) into the table; `rows[p]` as for applyColumns. A
 * snapshot's entry k is position k. Returns how many lamps changed.
 */
export function applyBinaryFrame(table: LiveTable, rows: Int32Array, frame: LiveFrame): number {
  const { cols, n } = frame;
  const t0 = frame.head.t0;
  const pos = cols.position;
  let changed = 0;
  for (let k = 0; k < n; k++) {
    const row = rows[pos ? pos[k]! : k]!;
    if (row === undefined || row < 0) continue;
    changed += 1;
    table.status[row] = cols.status[k]!;
    const st = cols.statusTs[k]!;
    table.statusTs[row] = st === NO_TIME ? Number.NaN : st + t0;
    const ts = cols.ts[k]!;
    if (ts === NO_TIME) continue;
    table.ts[row] = ts + t0;
    table.level[row] = cols.level[k]!;
    table.target[row] = cols.target[k]!;
    table.power[row] = cols.power[k]!;
    table.voltage[row] = cols.voltage[k]!;
    table.current[row] = cols.current[k]!;
    table.energy[row] = cols.energy[k]!;
    table.lux[row] = cols.lux[k]!;
    table.seq[row] = cols.seq[k]!;
  }
  if (changed > 0) table.version += 1;
  return changed;
}

/** Rows 0..n-1: a frame whose positions are the registry columns' order. */
export function identityRows(n: number): Int32Array {
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return rows;
}

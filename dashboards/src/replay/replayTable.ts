/**
 * A LiveTable of the same lamps as the live one, holding a replayed instant instead of the live
 * values, so the map draws a replay exactly as it draws the route now.
 */
import { LiveTable } from '../live/LiveTable.ts';
import type { ReplayData } from './decoder.ts';

export function replayTableOf(src: LiveTable): LiveTable {
  const t = new LiveTable();
  const n = src.size;
  t.ids = src.ids;
  for (const [i, id] of src.ids.entries()) t.indexOf.set(id, i);
  Object.assign(t, {
    lon: src.lon,
    lat: src.lat,
    segment: src.segment,
    vendor: src.vendor,
    model: src.model,
    segments: src.segments,
    vendors: src.vendors,
    models: src.models,
    approximate: src.approximate,
    status: new Uint8Array(n),
    statusTs: new Float64Array(n).fill(Number.NaN),
    flags: new Uint8Array(n),
    ts: new Float64Array(n).fill(Number.NaN),
    level: new Float32Array(n).fill(Number.NaN),
    target: new Float32Array(n).fill(Number.NaN),
    power: new Float32Array(n).fill(Number.NaN),
    voltage: new Float32Array(n).fill(Number.NaN),
    current: new Float32Array(n).fill(Number.NaN),
    energy: new Float64Array(n).fill(Number.NaN),
    lux: new Float32Array(n).fill(Number.NaN),
    seq: new Float64Array(n).fill(Number.NaN),
  });
  return t;
}

/** Put frame `k` of `data` into `table`; `positions` maps replay lamp i to table row (-1: not shown). */
export function showFrame(
  table: LiveTable,
  data: ReplayData,
  k: number,
  positions: Int32Array,
): void {
  const level = data.level[k];
  const power = data.power[k];
  const state = data.state[k];
  const t = data.t[k];
  if (!level || !power || !state || t === undefined) return;
  for (let i = 0; i < level.length; i++) {
    const row = positions[i] ?? -1;
    if (row < 0) continue;
    table.level[row] = level[i]!;
    table.target[row] = level[i]!;
    table.power[row] = power[i]!;
    // a lamp with readings but no status change in the window was online while it reported
    table.status[row] = state[i] || (Number.isNaN(level[i]!) ? 0 : 1);
    table.ts[row] = t;
  }
  table.version += 1;
}

/** Table rows of the replay's lamps, in replay order (-1 where the table has no such lamp). */
export function positionsOf(table: LiveTable, lampIds: readonly string[]): Int32Array {
  const out = new Int32Array(lampIds.length);
  for (const [i, id] of lampIds.entries()) out[i] = table.indexOf.get(id) ?? -1;
  return out;
}

/** The frame shown at `t`: the last that starts at or before it (binary search). */
export function frameAt(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  if (hi < 0 || t < times[0]!) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid]! <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Compact live frames. A JSON object per lamp (about 420 bytes) made a 100,000-lamp snapshot
 * 40 MB; here a subscription's snapshot sends the lamp ids once (`lampIds`), and every frame
 * carries parallel arrays (`LiveColumns`) that name a lamp by its position in that table: about
 * 70 bytes a lamp. Values are rounded to the precision of their quantity and times are sent
 * relative to the frame's `t0`, so no float noise or repeated epoch digits go over the wire.
 * Pure: the WebSocket server calls these, the dashboard decodes them.
 */

import {
  allocLiveFrame,
  LIVE_STATUS_CODES,
  type LiveFrameHead,
  NO_TIME,
  registryHash,
} from '../../../shared/live/binaryFrames.ts';
import {
  LIVE_FIELDS,
  LIVE_STATUS,
  type LiveColumns,
  type LiveField,
  type LiveLamp,
  type WsServerFrame,
} from '../api.ts';

/** Decimal places sent per field: the resolution of each quantity. */
export const LIVE_DIGITS: Record<LiveField, number> = {
  actualLevel: 1,
  targetLevel: 1,
  activePower: 2,
  supplyVoltage: 1,
  supplyCurrent: 3,
  activeEnergy: 3,
  illuminance: 1,
  seq: 0,
};

const SCALE = Object.fromEntries(LIVE_FIELDS.map((f) => [f, 10 ** LIVE_DIGITS[f]])) as Record<
  LiveField,
  number
>;
const STATUS_CODE = new Map<string, number>(LIVE_STATUS.map((s, i) => [s, i]));

/** The lamps of one subscription, in snapshot order: lamp id <-> position. */
export class LiveIndex {
  private readonly at = new Map<string, number>();

  constructor(readonly lampIds: readonly string[]) {
    lampIds.forEach((id, i) => {
      this.at.set(id, i);
    });
  }

  positionOf(lampId: string): number | undefined {
    return this.at.get(lampId);
  }

  private hashed: string | undefined;
  /** registryHash of the ids: what a binary frame names its positions by. */
  get hash(): string {
    this.hashed ??= registryHash(this.lampIds);
    return this.hashed;
  }
}

function emptyColumns(): LiveColumns {
  const cols = { i: [], status: [], statusTs: [], ts: [] } as unknown as LiveColumns;
  for (const f of LIVE_FIELDS) cols[f] = [];
  return cols;
}

const round = (v: number, scale: number) => Math.round(v * scale) / scale;

/** Lamps outside `index` are skipped (they are not in this client's scope). */
export function encodeColumns(
  lamps: readonly LiveLamp[],
  index: LiveIndex,
  t0: number,
): LiveColumns {
  const cols = emptyColumns();
  for (const lamp of lamps) {
    const i = index.positionOf(lamp.lampId);
    if (i === undefined) continue;
    cols.i.push(i);
    cols.status.push(STATUS_CODE.get(lamp.status) ?? 0);
    cols.statusTs.push(lamp.statusTs === null ? null : lamp.statusTs - t0);
    const t = lamp.telemetry;
    cols.ts.push(t ? t.ts - t0 : null);
    for (const f of LIVE_FIELDS) {
      const v = t?.[f];
      cols[f].push(v === undefined ? null : round(v, SCALE[f]));
    }
  }
  return cols;
}

/** The first frame of a subscription: every lamp in scope, which fixes the positions. */
export function snapshotFrame(
  lamps: readonly LiveLamp[],
  t0: number,
): { frame: Extract<WsServerFrame, { type: 'snapshot' }>; index: LiveIndex } {
  const index = new LiveIndex(lamps.map((l) => l.lampId));
  return {
    frame: {
      type: 'snapshot',
      t0,
      lampIds: [...index.lampIds],
      live: encodeColumns(lamps, index, t0),
    },
    index,
  };
}

export function deltaFrame(
  lamps: readonly LiveLamp[],
  index: LiveIndex,
  t0: number,
): Extract<WsServerFrame, { type: 'delta' }> {
  return { type: 'delta', t0, live: encodeColumns(lamps, index, t0) };
}

// ---- binary frames (shared/live/binaryFrames.ts), asked for with `format: 'binary'` ----

const BINARY_STATUS = new Map<string, number>(LIVE_STATUS_CODES.map((s, i) => [s, i]));
const MAX_REL = 0x7fffffff;
/** ms relative to t0 in an Int32: a time further than 24.8 days away is clamped to that. */
const rel = (ts: number | null | undefined, t0: number): number =>
  ts === null || ts === undefined ? NO_TIME : Math.max(-MAX_REL, Math.min(MAX_REL, ts - t0));
const num = (v: number | undefined): number => (v === undefined ? Number.NaN : v);

function fillBinary(
  lamps: readonly LiveLamp[],
  index: LiveIndex,
  head: LiveFrameHead,
  dense: boolean,
): Uint8Array {
  // positions first: a lamp outside the index (not in this client's scope) is skipped
  const at: number[] = [];
  const picked: LiveLamp[] = [];
  for (const lamp of lamps) {
    const p = index.positionOf(lamp.lampId);
    if (p === undefined) continue;
    at.push(p);
    picked.push(lamp);
  }
  const n = dense ? index.lampIds.length : picked.length;
  const { bytes, cols } = allocLiveFrame(head, n);
  if (dense) {
    // entry k is position k; a position with no lamp state stays "unknown, no reading"
    cols.ts.fill(NO_TIME);
    cols.statusTs.fill(NO_TIME);
    for (const c of [cols.energy, cols.seq, cols.level, cols.target, cols.power])
      c.fill(Number.NaN);
    for (const c of [cols.voltage, cols.current, cols.lux]) c.fill(Number.NaN);
  }
  const t0 = head.t0;
  for (let k = 0; k < picked.length; k++) {
    const lamp = picked[k]!;
    const e = dense ? at[k]! : k;
    if (cols.position) cols.position[e] = at[k]!;
    cols.status[e] = BINARY_STATUS.get(lamp.status) ?? 0;
    cols.statusTs[e] = rel(lamp.statusTs, t0);
    const t = lamp.telemetry;
    cols.ts[e] = rel(t?.ts, t0);
    cols.energy[e] = num(t?.activeEnergy);
    cols.seq[e] = num(t?.seq);
    cols.level[e] = num(t?.actualLevel);
    cols.target[e] = num(t?.targetLevel);
    cols.power[e] = num(t?.activePower);
    cols.voltage[e] = num(t?.supplyVoltage);
    cols.current[e] = num(t?.supplyCurrent);
    cols.lux[e] = num(t?.illuminance);
  }
  return bytes;
}

/**
 * A binary snapshot: every position of `index` in order. `withIds`: the index is not the
 * registry columns' order (a subscription to some lamps), so the head lists the ids.
 */
export function binarySnapshotFrame(
  lamps: readonly LiveLamp[],
  index: LiveIndex,
  t0: number,
  opts: { withIds: boolean; alarms?: Record<string, unknown>[] },
): Uint8Array {
  const head: LiveFrameHead = {
    type: 'snapshot',
    t0,
    registry: index.hash,
    positions: index.lampIds.length,
  };
  if (opts.withIds) head.lampIds = [...index.lampIds];
  if (opts.alarms) head.alarms = opts.alarms;
  return fillBinary(lamps, index, head, true);
}

export function binaryDeltaFrame(
  lamps: readonly LiveLamp[],
  index: LiveIndex,
  t0: number,
): Uint8Array {
  return fillBinary(
    lamps,
    index,
    { type: 'delta', t0, registry: index.hash, positions: index.lampIds.length },
    false,
  );
}

/**
 * Compact live frames. A JSON object per lamp (about 420 bytes) made a 100,000-lamp snapshot
 * 40 MB; here a subscription's snapshot sends the lamp ids once (`lampIds`), and every frame
 * carries parallel arrays (`LiveColumns`) that name a lamp by its position in that table: about
 * 70 bytes a lamp. Values are rounded to the precision of their quantity and times are sent
 * relative to the frame's `t0`, so no float noise or repeated epoch digits go over the wire.
 * Pure: the WebSocket server calls these, the dashboard decodes them.
 */
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

/**
 * Live frames as binary WebSocket messages (`GLF1`): typed-array columns in the order of the
 * registry columns the page already holds (`/api/lamps/columns?format=binary`), so a snapshot
 * sends no lamp id and the page parses no number. The JSON snapshot of 100,000 lamps was about
 * 7 MB of text parsed on the page's main thread; this one is 49 bytes a lamp (deltas 53).
 *
 * Layout, little-endian:
 * - bytes 0-3 `GLF1`; 4-7 u32 entry count n; 8-11 u32 length J of the head; 12-15 zero;
 * - J bytes of UTF-8 JSON head (`LiveFrameHead`), zero-padded to a multiple of 8;
 * - Float64 energy[n], seq[n]; Int32 ts[n], statusTs[n] (ms relative to the head's t0,
 *   -2^31 = none); Float32 level, target, power, voltage, current, lux [n] (NaN = none);
 *   deltas only: Uint32 position[n]; then Uint8 status[n] (index into LIVE_STATUS_CODES).
 * A snapshot holds every position of its index in order (entry k is position k).
 *
 * `registry` in the head is `registryHash` of the ids the positions stand for: a page whose
 * registry answer hashes differently (stale, or another scope) refetches it. A subscription that
 * is not to everything carries its `lampIds` in the head instead. Pure and browser-safe; zod/mini
 * keeps the page's bundle small.
 */
import * as z from 'zod/mini';

export const LIVE_FRAME_MAGIC = 0x31464c47; // 'GLF1' read as a little-endian u32
const HEAD = 16;
export const NO_TIME = -0x80000000;
export const LIVE_STATUS_CODES = ['unknown', 'online', 'offline'] as const;

/** Bytes per lamp after the head: a snapshot entry, and a delta entry (with its position). */
export const SNAPSHOT_BYTES_PER_LAMP = 16 + 8 + 24 + 1;
export const DELTA_BYTES_PER_LAMP = SNAPSHOT_BYTES_PER_LAMP + 4;

export const LiveFrameHead = z.object({
  type: z.enum(['snapshot', 'delta']),
  t0: z.number().check(z.int(), z.nonnegative()),
  /** registryHash of the ids that positions stand for. */
  registry: z.string().check(z.regex(/^[0-9a-f]{8}$/)),
  /** How many positions the subscription's index has. */
  positions: z.number().check(z.int(), z.nonnegative()),
  /** Present when the positions are not the registry columns' order. */
  lampIds: z.optional(z.array(z.string())),
  /** Snapshots with alarms: the active alarms in scope (as the JSON snapshot's `alarms`). */
  alarms: z.optional(z.array(z.record(z.string(), z.unknown()))),
});
export type LiveFrameHead = z.infer<typeof LiveFrameHead>;

/** A decoded frame: views into one copy of the message, one entry per lamp. */
export interface LiveFrameColumns {
  energy: Float64Array;
  seq: Float64Array;
  ts: Int32Array;
  statusTs: Int32Array;
  level: Float32Array;
  target: Float32Array;
  power: Float32Array;
  voltage: Float32Array;
  current: Float32Array;
  lux: Float32Array;
  /** Snapshot: undefined (entry k is position k). */
  position: Uint32Array | undefined;
  status: Uint8Array;
}

export interface LiveFrame {
  head: LiveFrameHead;
  n: number;
  cols: LiveFrameColumns;
}

export class LiveFrameError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** FNV-1a (32 bit) over the ids joined by newlines, as 8 hex digits. */
export function registryHash(ids: readonly string[]): string {
  let h = 0x811c9dc5;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    for (let c = 0; c < id.length; c++) {
      h ^= id.charCodeAt(c);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 10;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

const pad8 = (x: number) => (x + 7) & ~7;

function columnsOf(buffer: ArrayBuffer, at: number, n: number, delta: boolean): LiveFrameColumns {
  let o = at;
  const take = <A>(make: (b: ArrayBuffer, o: number, n: number) => A, size: number): A => {
    const a = make(buffer, o, n);
    o += size * n;
    return a;
  };
  const f64 = (b: ArrayBuffer, o: number, n: number) => new Float64Array(b, o, n);
  const i32 = (b: ArrayBuffer, o: number, n: number) => new Int32Array(b, o, n);
  const f32 = (b: ArrayBuffer, o: number, n: number) => new Float32Array(b, o, n);
  return {
    energy: take(f64, 8),
    seq: take(f64, 8),
    ts: take(i32, 4),
    statusTs: take(i32, 4),
    level: take(f32, 4),
    target: take(f32, 4),
    power: take(f32, 4),
    voltage: take(f32, 4),
    current: take(f32, 4),
    lux: take(f32, 4),
    position: delta ? take((b, o, n) => new Uint32Array(b, o, n), 4) : undefined,
    status: take((b, o, n) => new Uint8Array(b, o, n), 1),
  };
}

/**
 * An empty frame of `n` entries to fill (the gateway's encoder): the head is written now, the
 * columns are zero (status unknown, times 0) and the caller sets every entry.
 */
export function allocLiveFrame(
  head: LiveFrameHead,
  n: number,
): { bytes: Uint8Array; cols: LiveFrameColumns } {
  const text = new TextEncoder().encode(JSON.stringify(head));
  const at = pad8(HEAD + text.length);
  const delta = head.type === 'delta';
  const bytes = new Uint8Array(at + n * (delta ? DELTA_BYTES_PER_LAMP : SNAPSHOT_BYTES_PER_LAMP));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, LIVE_FRAME_MAGIC, true);
  view.setUint32(4, n, true);
  view.setUint32(8, text.length, true);
  bytes.set(text, HEAD);
  // typed arrays are in the platform's byte order: every platform we run on is little-endian
  return { bytes, cols: columnsOf(bytes.buffer, at, n, delta) };
}

/**
 * Decode and check a binary live frame; throws LiveFrameError naming the failing part. Checks
 * the length against the head, the head against its schema, every position against the index
 * and every status code. Values are taken as they are: NaN means none.
 */
export function decodeLiveFrame(buffer: ArrayBuffer): LiveFrame {
  if (buffer.byteLength < HEAD) throw new LiveFrameError('head', 'shorter than its header');
  const view = new DataView(buffer);
  if (view.getUint32(0, true) !== LIVE_FRAME_MAGIC)
    throw new LiveFrameError('head', 'not a GLF1 frame');
  const n = view.getUint32(4, true);
  const j = view.getUint32(8, true);
  if (HEAD + j > buffer.byteLength) throw new LiveFrameError('head', 'head longer than frame');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, HEAD, j)));
  } catch {
    throw new LiveFrameError('head', 'not JSON');
  }
  const parsed = LiveFrameHead.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LiveFrameError(`head.${issue?.path.join('.') ?? ''}`, issue?.message ?? 'invalid');
  }
  const head = parsed.data;
  const delta = head.type === 'delta';
  const at = pad8(HEAD + j);
  const want = at + n * (delta ? DELTA_BYTES_PER_LAMP : SNAPSHOT_BYTES_PER_LAMP);
  if (buffer.byteLength !== want)
    throw new LiveFrameError('columns', `${buffer.byteLength} bytes, ${n} lamps need ${want}`);
  if (head.lampIds !== undefined && head.lampIds.length !== head.positions)
    throw new LiveFrameError(
      'head.lampIds',
      `${head.lampIds.length} ids, ${head.positions} positions`,
    );
  if (!delta && n !== head.positions)
    throw new LiveFrameError('head.positions', `a snapshot of ${n} lamps for ${head.positions}`);
  const cols = columnsOf(buffer, at, n, delta);
  if (cols.position)
    for (let k = 0; k < n; k++)
      if (cols.position[k]! >= head.positions)
        throw new LiveFrameError(`position[${k}]`, `not a position (0-${head.positions - 1})`);
  for (let k = 0; k < n; k++)
    if (cols.status[k]! >= LIVE_STATUS_CODES.length)
      throw new LiveFrameError(`status[${k}]`, 'not a status code');
  return { head, n, cols };
}

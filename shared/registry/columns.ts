/**
 * Lamps as columns: ids and positions as arrays, segment, vendor and model as indexes into their
 * name lists. The gateway's `/api/lamps/columns` answer and the web app's live table both use it,
 * as JSON or as the binary layout below (`?format=binary`). Pure and browser-safe.
 */
export interface LampLike {
  id: string;
  lon: number;
  lat: number;
  segmentId: string;
  vendorId: string;
  modelId: string;
}

export interface LampColumns {
  ids: string[];
  lon: number[];
  lat: number[];
  segments: string[];
  vendors: string[];
  models: string[];
  segment: number[];
  vendor: number[];
  model: number[];
}

/** The same columns as typed arrays: what the binary answer decodes to. */
export interface LampColumnArrays {
  approximate: boolean;
  ids: string[];
  lon: Float64Array;
  lat: Float64Array;
  segments: string[];
  vendors: string[];
  models: string[];
  segment: Uint16Array;
  vendor: Uint16Array;
  model: Uint16Array;
}

/** Names in order of first use, each new name's code returned by `code`. */
function coder(): { names: string[]; code: (name: string) => number } {
  const names: string[] = [];
  const at = new Map<string, number>();
  return {
    names,
    code(n) {
      let c = at.get(n);
      if (c === undefined) {
        c = names.length;
        names.push(n);
        at.set(n, c);
      }
      return c;
    },
  };
}

/** Names in order of first use, and each item's index into them. */
export function dictionaryCode<T>(
  items: readonly T[],
  name: (item: T) => string,
): { names: string[]; codes: number[] } {
  const c = coder();
  return { names: c.names, codes: items.map((item) => c.code(name(item))) };
}

/**
 * One pass over the lamps, no object per lamp. `vendorOf` names each lamp's vendor (the gateway
 * answers with the vendor its live state knows; registry lamps carry none of their own).
 */
export function lampColumns<T extends Omit<LampLike, 'vendorId'>>(
  lamps: readonly T[],
  vendorOf: (lamp: T, index: number) => string,
): LampColumns {
  const seg = coder();
  const ven = coder();
  const mod = coder();
  const n = lamps.length;
  const out: LampColumns = {
    ids: new Array<string>(n),
    lon: new Array<number>(n),
    lat: new Array<number>(n),
    segments: seg.names,
    vendors: ven.names,
    models: mod.names,
    segment: new Array<number>(n),
    vendor: new Array<number>(n),
    model: new Array<number>(n),
  };
  for (let i = 0; i < n; i++) {
    const l = lamps[i]!;
    out.ids[i] = l.id;
    out.lon[i] = l.lon;
    out.lat[i] = l.lat;
    out.segment[i] = seg.code(l.segmentId);
    out.vendor[i] = ven.code(vendorOf(l, i));
    out.model[i] = mod.code(l.modelId);
  }
  return out;
}

/**
 * The binary answer (`application/vnd.gadelys.lamp-columns`), little-endian:
 * - bytes 0-3 `GLC1`; 4-7 u32 lamp count n; 8-11 u32 length J of the head;
 * - J bytes of UTF-8 JSON `{approximate, ids, segments, vendors, models}`, zero-padded to a
 *   multiple of 8;
 * - Float64 lon[n], Float64 lat[n], then Uint16 segment[n], vendor[n], model[n].
 * 100,000 lamps: about 3.5 MB, and no number goes through a JSON parser on either side.
 */
export const LAMP_COLUMNS_BINARY_TYPE = 'application/vnd.gadelys.lamp-columns';
const MAGIC = 0x31434c47; // 'GLC1' read as a little-endian u32
const HEAD = 12;
/** More dictionary entries than a Uint16 code can name are refused. */
const MAX_NAMES = 0x10000;

export class ColumnsError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

const pad8 = (x: number) => (x + 7) & ~7;

export function encodeColumnsBinary(c: LampColumns, approximate: boolean): Uint8Array {
  const n = c.ids.length;
  for (const k of ['segments', 'vendors', 'models'] as const)
    if (c[k].length > MAX_NAMES) throw new ColumnsError(k, `more than ${MAX_NAMES} names`);
  const head = new TextEncoder().encode(
    JSON.stringify({
      approximate,
      ids: c.ids,
      segments: c.segments,
      vendors: c.vendors,
      models: c.models,
    }),
  );
  const at = pad8(HEAD + head.length);
  const bytes = new Uint8Array(at + n * 16 + n * 6);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, n, true);
  view.setUint32(8, head.length, true);
  bytes.set(head, HEAD);
  // typed arrays are in the platform's byte order: every platform we run on is little-endian
  new Float64Array(bytes.buffer, at, n).set(c.lon);
  new Float64Array(bytes.buffer, at + n * 8, n).set(c.lat);
  new Uint16Array(bytes.buffer, at + n * 16, n).set(c.segment);
  new Uint16Array(bytes.buffer, at + n * 18, n).set(c.vendor);
  new Uint16Array(bytes.buffer, at + n * 20, n).set(c.model);
  return bytes;
}

function names(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
    throw new ColumnsError(path, 'not a list of strings');
  return v as string[];
}

/** Decode (and check) a binary answer; throws ColumnsError naming the failing part. */
export function decodeColumnsBinary(buffer: ArrayBuffer): LampColumnArrays {
  if (buffer.byteLength < HEAD) throw new ColumnsError('head', 'shorter than its header');
  const view = new DataView(buffer);
  if (view.getUint32(0, true) !== MAGIC) throw new ColumnsError('head', 'not GLC1 columns');
  const n = view.getUint32(4, true);
  const j = view.getUint32(8, true);
  const at = pad8(HEAD + j);
  if (buffer.byteLength !== at + n * 22)
    throw new ColumnsError('head', `${buffer.byteLength} bytes, ${n} lamps need ${at + n * 22}`);
  let head: Record<string, unknown>;
  try {
    head = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, HEAD, j)));
  } catch {
    throw new ColumnsError('head', 'not JSON');
  }
  if (typeof head !== 'object' || head === null) throw new ColumnsError('head', 'not an object');
  const ids = names(head.ids, 'ids');
  if (ids.length !== n) throw new ColumnsError('ids', `${ids.length} ids for ${n} lamps`);
  const out: LampColumnArrays = {
    approximate: head.approximate === true,
    ids,
    segments: names(head.segments, 'segments'),
    vendors: names(head.vendors, 'vendors'),
    models: names(head.models, 'models'),
    // copies: the views must not keep the whole answer alive, and own their alignment
    lon: new Float64Array(buffer.slice(at, at + n * 8)),
    lat: new Float64Array(buffer.slice(at + n * 8, at + n * 16)),
    segment: new Uint16Array(buffer.slice(at + n * 16, at + n * 18)),
    vendor: new Uint16Array(buffer.slice(at + n * 18, at + n * 20)),
    model: new Uint16Array(buffer.slice(at + n * 20, at + n * 22)),
  };
  for (const [codes, dict] of [
    ['segment', 'segments'],
    ['vendor', 'vendors'],
    ['model', 'models'],
  ] as const) {
    const c = out[codes];
    const max = out[dict].length;
    for (let i = 0; i < n; i++)
      if (c[i]! >= max) throw new ColumnsError(`${codes}[${i}]`, `no ${dict} entry ${c[i]}`);
  }
  for (const [k, col] of [
    ['lon', out.lon],
    ['lat', out.lat],
  ] as const)
    for (let i = 0; i < n; i++)
      if (!Number.isFinite(col[i])) throw new ColumnsError(`${k}[${i}]`, 'not a number');
  return out;
}

/**
 * The stored schema, shared by both adapters: a measurement (table) per message kind, the tags
 * (bounded cardinality: ids from the registry and small enums) and the typed fields of each.
 * A point's identity is measurement + tags + device timestamp (ms), so a replayed point
 * overwrites itself in InfluxDB and replaces the row of the same key in DuckDB: no duplicates.
 */
import { TELEMETRY_FIELDS } from '../contract/telemetry.ts';
import type { EncodedRecords } from './port.ts';

/** Fields whose sum and count the steady-state tier keeps (steady.ts). */
export const STEADY_FIELDS = ['activePower', 'operatingHours', 'illuminance'] as const;

export const MEASUREMENTS = {
  telemetry: 'telemetry',
  status: 'status',
  event: 'event',
  ack: 'ack',
  alarm: 'alarm',
  /** Per lamp per minute and per hour (rollup.ts): kept by the processor, read by `history`/`energy`. */
  rollup_1m: 'rollup_1m',
  rollup_1h: 'rollup_1h',
  /** Per lamp, hour and steady level (steady.ts): kept by the processor with rollup_1h. */
  steady_1h: 'steady_1h',
  /** How far each rollup resolution is complete (one point per resolution, at time 0). */
  rollup_state: 'rollup_state',
  /** The newest reading of each lamp (one point per lamp, at time 0): start-up without a scan. */
  last_state: 'last_state',
} as const;
export type Measurement = (typeof MEASUREMENTS)[keyof typeof MEASUREMENTS];

export const LAMP_TAGS = ['lampId', 'segmentId', 'vendorId', 'modelId'] as const;

export type FieldType = 'float' | 'int' | 'string' | 'bool';

export interface MeasurementSchema {
  /** Tag columns, in key order (line protocol wants them sorted for speed). */
  tags: readonly string[];
  /** Tags that may be absent (alarm lampId/segmentId). */
  optionalTags?: readonly string[];
  fields: Readonly<Record<string, FieldType>>;
}

const INT_TELEMETRY = new Set<string>(['seq', 'switchOnCounter', 'presenceCount']);

/**
 * What a rollup keeps of each numeric field over its bucket. The mean is kept as sum and count
 * (`n`, readings with the field), so coarser buckets and mixed resolutions combine exactly.
 */
export const ROLLUP_STATS = ['sum', 'n', 'min', 'max', 'last'] as const;
export type RollupStat = (typeof ROLLUP_STATS)[number];
/** The column of one statistic of one field in a rollup measurement, e.g. `activePower_max`. */
export const statColumn = (field: string, stat: RollupStat) => `${field}_${stat}`;

const TELEMETRY_FIELD_TYPES = Object.fromEntries(
  ['seq', ...TELEMETRY_FIELDS].map((f) => [f, INT_TELEMETRY.has(f) ? 'int' : 'float']),
) as Record<string, FieldType>;

const ROLLUP_SCHEMA: MeasurementSchema = {
  tags: [...LAMP_TAGS].sort(),
  fields: {
    /** Readings in the bucket (availability). */
    count: 'int',
    /** Energy used in the bucket: spread of the cumulative counter within it, kWh. */
    energy: 'float',
    ...Object.fromEntries(
      TELEMETRY_FIELDS.flatMap((f) =>
        ROLLUP_STATS.map((s) => [statColumn(f, s), s === 'n' ? 'int' : 'float'] as const),
      ),
    ),
  },
};

export const SCHEMA: Record<Measurement, MeasurementSchema> = {
  telemetry: { tags: [...LAMP_TAGS].sort(), fields: TELEMETRY_FIELD_TYPES },
  status: {
    tags: [...LAMP_TAGS].sort(),
    fields: {
      state: 'string',
      firmware: 'string',
      vendor: 'string',
      model: 'string',
      reason: 'string',
    },
  },
  event: {
    tags: [...LAMP_TAGS, 'type'].sort(),
    fields: { active: 'bool', value: 'float', detail: 'string', seq: 'int' },
  },
  ack: {
    tags: [...LAMP_TAGS, 'status'].sort(),
    fields: { commandId: 'string', reason: 'string', actualLevel: 'float' },
  },
  alarm: {
    tags: ['alarmId', 'lampId', 'segmentId', 'type'],
    optionalTags: ['lampId', 'segmentId'],
    fields: { state: 'string', severity: 'string', detail: 'string' },
  },
  rollup_1m: ROLLUP_SCHEMA,
  rollup_1h: ROLLUP_SCHEMA,
  steady_1h: {
    tags: [...LAMP_TAGS, 'level'].sort(),
    fields: {
      minutes: 'int',
      count: 'int',
      hourCount: 'int',
      slots: 'int',
      first: 'int',
      ...Object.fromEntries(
        STEADY_FIELDS.flatMap((f) => [
          [statColumn(f, 'sum'), 'float'],
          [statColumn(f, 'n'), 'int'],
        ]),
      ),
    },
  },
  rollup_state: { tags: ['resolution'], fields: { since: 'int', completeUntil: 'int' } },
  /** The reading's own time is `readingTs`; the point sits at time 0 so a newer one replaces it. */
  last_state: {
    tags: [...LAMP_TAGS].sort(),
    fields: { readingTs: 'int', ...TELEMETRY_FIELD_TYPES },
  },
};

const FIELD_LIST = Object.fromEntries(
  Object.entries(SCHEMA).map(([m, schema]) => [m, Object.entries(schema.fields)]),
) as Record<Measurement, [string, FieldType][]>;

/** Line protocol: commas, equals signs and spaces are escaped in tag keys and values. */
export function escapeTag(value: string): string {
  return value.replace(/[,= \\]/g, (c) => `\\${c}`).replace(/[\r\n]/g, ' ');
}

/** Line protocol string field: quotes and backslashes escaped; newlines become spaces. */
export function escapeStringField(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]/g, ' ')}"`;
}

function fieldValue(type: FieldType, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  switch (type) {
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value) ? `${value}i` : undefined;
    case 'bool':
      return typeof value === 'boolean' ? String(value) : undefined;
    case 'string':
      return typeof value === 'string' ? escapeStringField(value) : undefined;
  }
}

/**
 * One record as a line of InfluxDB line protocol, timestamp in ms. Returns undefined when the
 * record has no field to store (line protocol needs at least one).
 */
export function toLine(
  measurement: Measurement,
  record: Readonly<Record<string, unknown>>,
  ts: number,
): string | undefined {
  const schema = SCHEMA[measurement];
  let line = measurement;
  for (const tag of schema.tags) {
    const v = record[tag];
    if (typeof v === 'string' && v.length > 0) line += `,${tag}=${escapeTag(v)}`;
  }
  let fields = '';
  for (const [name, type] of FIELD_LIST[measurement]) {
    const v = fieldValue(type, record[name]);
    if (v !== undefined) fields += fields.length === 0 ? `${name}=${v}` : `,${name}=${v}`;
  }
  if (fields.length === 0) return undefined;
  return `${line} ${fields} ${Math.trunc(ts)}`;
}

/** Distinct tag sets whose escaped line prefix is kept (bounded: cleared when full). */
const PREFIX_CACHE_MAX = 100_000;

/**
 * Escaped line prefixes (`measurement,tag=v,...`) by measurement, then by the first tag's value
 * (the lamp or alarm id): no key is built per record, and measurements never share an entry.
 */
export type PrefixCache = Map<string, Map<string, CachedPrefix>>;
interface CachedPrefix {
  values: unknown[];
  /** `measurement,tag=value,...`, escaped, as UTF-8. */
  bytes: Buffer;
}

/** The cached escaped prefix of a record's tag set, made on a miss. */
function prefixOf(
  measurement: Measurement,
  record: Readonly<Record<string, unknown>>,
  caches: PrefixCache,
): CachedPrefix {
  const tags = SCHEMA[measurement].tags;
  let cache = caches.get(measurement);
  if (!cache) {
    cache = new Map();
    caches.set(measurement, cache);
  }
  const first = record[tags[0] as string];
  const key = typeof first === 'string' ? first : '';
  let hit = cache.get(key);
  for (let i = 0; hit && i < tags.length; i++) {
    const v = record[tags[i] as string];
    if (v !== hit.values[i] && (typeof v === 'string' || typeof hit.values[i] === 'string'))
      hit = undefined;
  }
  if (hit === undefined) {
    let prefix: string = measurement;
    const values: unknown[] = [];
    for (const tag of tags) {
      const v = record[tag];
      values.push(typeof v === 'string' ? v : undefined);
      if (typeof v === 'string' && v.length > 0) prefix += `,${tag}=${escapeTag(v)}`;
    }
    if (cache.size >= PREFIX_CACHE_MAX) cache.clear();
    hit = { values, bytes: Buffer.from(prefix, 'utf8') };
    cache.set(key, hit);
  }
  return hit;
}

/** Drop nulls from a row read back from a store, so it matches the optional members of a schema. */
export function compact(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/**
 * Records as line protocol, one line each, joined by newlines: the bytes of `toLine`'s lines,
 * built for the write path (`Store.encode` and the InfluxDB adapter's writes). The escaped
 * `measurement,tag=v,...` prefix of each distinct tag set is built once and kept (a lamp's tags
 * repeat in every reading). The count is the records given; a record without a field adds no
 * line, as in `toLine`.
 */
export function encodeLines(
  kind: Measurement,
  records: readonly object[],
  cache: PrefixCache,
): EncodedRecords {
  const out = new LineWriter();
  const writeFields = FIELD_WRITERS[kind];
  // The minutes telemetry falls in, for the processor's rollups (the records are not kept).
  const minutes: number[] | undefined = kind === 'telemetry' ? [] : undefined;
  let maxTs = 0;
  for (const r of records as readonly Readonly<Record<string, unknown>>[]) {
    if (minutes) {
      addMinute(minutes, r.ts as number);
      if ((r.ts as number) > maxTs) maxTs = r.ts as number;
    }
    const start = out.pos;
    const prefix = prefixOf(kind, r, cache);
    // Room for the whole line but its string fields; each string makes its own room plus this.
    out.reserve = MAX_FIELD_BYTES[kind];
    out.room(1 + prefix.bytes.length + out.reserve);
    if (out.pos > 0) out.byte(NEWLINE);
    out.bytes(prefix.bytes);
    // A record without a field has no line, as in `toLine`.
    if (!writeFields(r, out)) {
      out.pos = start;
      continue;
    }
    out.byte(SPACE);
    out.number(Math.trunc(r.ts as number));
  }
  return minutes
    ? { body: out.take(), count: records.length, minutes, maxTs }
    : { body: out.take(), count: records.length };
}

const MINUTE_MS = 60_000;

/** Add the start of ts's minute to a short list of distinct minutes (a batch spans one or two). */
export function addMinute(minutes: number[], ts: number): void {
  const m = Math.floor(ts / MINUTE_MS) * MINUTE_MS;
  if (minutes[minutes.length - 1] === m || minutes.includes(m)) return;
  minutes.push(m);
}

const [NEWLINE, SPACE, COMMA, LETTER_I, MINUS, ZERO] = [10, 32, 44, 105, 45, 48];
/** String(n) of a finite number is at most 24 characters ("-1.7976931348623157e+308"). */
const MAX_NUMBER_BYTES = 25;

/** Longest line protocol of a measurement's non-string fields and timestamp, in bytes. */
const MAX_FIELD_BYTES = Object.fromEntries(
  Object.entries(FIELD_LIST).map(([m, list]) => [
    m,
    list.reduce((n, [name]) => n + name.length + 2 + MAX_NUMBER_BYTES, 0) + 2 + MAX_NUMBER_BYTES,
  ]),
) as Record<Measurement, number>;

type FieldWriter = (record: Readonly<Record<string, unknown>>, out: LineWriter) => boolean;

/**
 * The fields of one measurement as code: ` name=value` or `,name=value` for each field the
 * record has, in schema order, with the checks of `fieldValue`; true when it wrote any. Made
 * from the schema (its field names are our constants, never input) so that every field is a
 * named property load: a loop over names would do a generic keyed lookup for each.
 */
function compileFieldWriter(list: readonly [string, FieldType][]): FieldWriter {
  const check: Record<FieldType, string> = {
    float: "typeof v === 'number' && Number.isFinite(v)",
    int: 'Number.isSafeInteger(v)',
    bool: "typeof v === 'boolean'",
    string: "typeof v === 'string'",
  };
  const write: Record<FieldType, string> = {
    float: 'out.number(v);',
    int: `out.number(v); out.byte(${LETTER_I});`,
    bool: "out.ascii(v ? 'true' : 'false');",
    string: 'out.text(escape(v));',
  };
  const body = list
    .map(
      ([name, type], i) =>
        `v = record[${JSON.stringify(name)}];\n` +
        `if (${check[type]}) { out.byte(any ? ${COMMA} : ${SPACE}); any = true; out.bytes(keys[${i}]); ${write[type]} }`,
    )
    .join('\n');
  const keys = list.map(([name]) => Buffer.from(`${name}=`));
  return new Function(
    'keys',
    'escape',
    `return function writeFields(record, out) {\nlet v;\nlet any = false;\n${body}\nreturn any;\n};`,
  )(keys, escapeStringField) as FieldWriter;
}

/**
 * Line protocol straight into bytes: the string builder made ~1.6 KB of intermediate strings per
 * telemetry line (a string per number, per `name=value` and per concatenation), most of the
 * processor's garbage in the batched ingest bench. One scratch buffer per module, copied out
 * at the end.
 */
let scratch = Buffer.allocUnsafe(1 << 16);

class LineWriter {
  pos = 0;
  /** Room kept free after a string field, for the rest of the line. */
  reserve = 0;

  /** Make room for n more bytes; the writes below but `text` rely on it. */
  room(n: number): void {
    if (this.pos + n <= scratch.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(scratch.length * 2, this.pos + n));
    scratch.copy(bigger, 0, 0, this.pos);
    scratch = bigger;
  }

  byte(b: number): void {
    scratch[this.pos++] = b;
  }

  /** A JavaScript loop: for these few bytes a native copy costs more than it saves. */
  bytes(b: Uint8Array): void {
    const to = scratch;
    let at = this.pos;
    for (let i = 0; i < b.length; i++) to[at++] = b[i] as number;
    this.pos = at;
  }

  text(s: string): void {
    this.room(Buffer.byteLength(s) + this.reserve);
    this.pos += scratch.write(s, this.pos, 'utf8');
  }

  /** ASCII text (a number's or a boolean's), byte by byte: no native call for a few bytes. */
  ascii(s: string): void {
    const to = scratch;
    let at = this.pos;
    for (let i = 0; i < s.length; i++) to[at++] = s.charCodeAt(i);
    this.pos = at;
  }

  /** A finite number as String(n) writes it; integers digit by digit, without a string. */
  number(n: number): void {
    if (!Number.isSafeInteger(n)) {
      this.ascii(String(n));
      return;
    }
    let v = n;
    if (v < 0) {
      scratch[this.pos++] = MINUS;
      v = -v;
    }
    let digits = 1;
    for (let p = 10; p <= v; p *= 10) digits++;
    let at = this.pos + digits;
    this.pos = at;
    do {
      const q = Math.floor(v / 10);
      scratch[--at] = ZERO + (v - q * 10);
      v = q;
    } while (v > 0);
  }

  take(): Buffer {
    return Buffer.from(scratch.subarray(0, this.pos));
  }
}

const FIELD_WRITERS = Object.fromEntries(
  Object.entries(FIELD_LIST).map(([m, list]) => [m, compileFieldWriter(list)]),
) as Record<Measurement, FieldWriter>;

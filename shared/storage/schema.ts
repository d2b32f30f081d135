/**
 * The stored schema, shared by both adapters: a measurement (table) per message kind, the tags
 * (bounded cardinality: ids from the registry and small enums) and the typed fields of each.
 * A point's identity is measurement + tags + device timestamp (ms), so a replayed point
 * overwrites itself in InfluxDB and hits the primary key in DuckDB: no duplicates.
 */
import { TELEMETRY_FIELDS } from '../contract/telemetry.ts';
import type { EncodedRecords } from './port.ts';

export const MEASUREMENTS = {
  telemetry: 'telemetry',
  status: 'status',
  event: 'event',
  ack: 'ack',
  alarm: 'alarm',
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

export const SCHEMA: Record<Measurement, MeasurementSchema> = {
  telemetry: {
    tags: [...LAMP_TAGS].sort(),
    fields: Object.fromEntries(
      ['seq', ...TELEMETRY_FIELDS].map((f) => [f, INT_TELEMETRY.has(f) ? 'int' : 'float']),
    ),
  },
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
 * Many records as line protocol, one line each, joined by newlines: the same lines as `toLine`,
 * built for the write path. The escaped `measurement,tag=v,...` prefix of each distinct tag set
 * is built once and kept (a lamp's tags repeat in every reading). Returns the body and its line
 * count; records without a field are left out as in `toLine`.
 */
/**
 * Escaped line prefixes (`measurement,tag=v,...`) by measurement, then by the first tag's value
 * (the lamp or alarm id): no key is built per record, and measurements never share an entry.
 */
export type PrefixCache = Map<string, Map<string, { values: unknown[]; prefix: string }>>;

export function toLines(
  measurement: Measurement,
  records: readonly Readonly<Record<string, unknown>>[],
  caches: PrefixCache = new Map(),
): { body: string; lines: number } {
  const schema = SCHEMA[measurement];
  const tags = schema.tags;
  const fieldList = FIELD_LIST[measurement];
  const firstTag = tags[0] as string;
  let cache = caches.get(measurement);
  if (!cache) {
    cache = new Map();
    caches.set(measurement, cache);
  }
  // Lines are collected and joined once: `body += line` would build a rope of thousands of
  // nodes, and bodies are kept queued (the processor encodes at ingest), so they must be flat.
  const out: string[] = [];
  for (const record of records) {
    const first = record[firstTag];
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
      hit = { values, prefix: flat(prefix) };
      cache.set(key, hit);
    }
    const prefix = hit.prefix;
    let fields = '';
    for (const [name, type] of fieldList) {
      const v = record[name];
      if (v === undefined || v === null) continue;
      const text =
        type === 'float' && typeof v === 'number' && Number.isFinite(v)
          ? `${v}`
          : fieldValue(type, v);
      if (text !== undefined)
        fields += fields.length === 0 ? `${name}=${text}` : `,${name}=${text}`;
    }
    if (fields.length === 0) continue;
    out.push(`${prefix} ${fields} ${Math.trunc(record.ts as number)}`);
  }
  return { body: out.length === 1 ? flat(out[0] as string) : out.join('\n'), lines: out.length };
}

/** A flat copy of a string built by concatenation (a one-element join copies it). */
function flat(s: string): string {
  return [s, ''].join('').slice(0, s.length);
}

/** Drop nulls from a row read back from a store, so it matches the optional members of a schema. */
export function compact(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/**
 * Records of one write kind as line protocol, for `Store.encode` (kinds are measurements). The
 * count is the records given (a record without a field adds no line, as in `toLines`).
 */
export function encodeLines(
  kind: Measurement,
  records: readonly object[],
  cache: PrefixCache,
): EncodedRecords {
  const { body } = toLines(kind, records as unknown as Record<string, unknown>[], cache);
  return { body: Buffer.from(body, 'utf8'), count: records.length };
}

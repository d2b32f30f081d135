/**
 * The stored schema, shared by both adapters: a measurement (table) per message kind, the tags
 * (bounded cardinality: ids from the registry and small enums) and the typed fields of each.
 * A point's identity is measurement + tags + device timestamp (ms), so a replayed point
 * overwrites itself in InfluxDB and hits the primary key in DuckDB: no duplicates.
 */
import { TELEMETRY_FIELDS } from '../contract/telemetry.ts';

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

/** Drop nulls from a row read back from a store, so it matches the optional members of a schema. */
export function compact(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/**
 * InfluxQL building. Inputs arrive validated (queries.ts); on top of that every identifier is
 * double-quoted and every value single-quoted with InfluxQL's escapes, and times are integers,
 * so no request string is ever pasted into a query.
 */

import type {
  ValidAlarmQuery,
  ValidEnergy,
  ValidFilter,
  ValidHistory,
  ValidWindow,
} from '../queries.ts';
import { SCHEMA } from '../schema.ts';

/** A double-quoted identifier; `"` and `\` escaped (InfluxQL spec: identifiers). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

/** A single-quoted string literal; `'` and `\` escaped, newlines as `\n` (InfluxQL spec: strings). */
export function quoteString(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}'`;
}

/** An epoch-ms time literal; throws on anything but a safe integer. */
export function timeLiteral(ms: number): string {
  if (!Number.isSafeInteger(ms)) throw new TypeError(`time ${ms} is not an integer`);
  return `${ms}ms`;
}

const known = (measurement: keyof typeof SCHEMA, column: string) =>
  SCHEMA[measurement].tags.includes(column) || column in SCHEMA[measurement].fields;

/** A column of a measurement, from the schema's whitelist only. */
export function column(measurement: keyof typeof SCHEMA, name: string): string {
  if (!known(measurement, name)) throw new TypeError(`${measurement} has no column ${name}`);
  return quoteIdent(name);
}

function filterClauses(filter: ValidFilter): string[] {
  const clauses: string[] = [];
  if (filter.lampIds) {
    clauses.push(`(${filter.lampIds.map((id) => `"lampId" = ${quoteString(id)}`).join(' OR ')})`);
  }
  if (filter.segmentId) clauses.push(`"segmentId" = ${quoteString(filter.segmentId)}`);
  if (filter.vendorId) clauses.push(`"vendorId" = ${quoteString(filter.vendorId)}`);
  if (filter.modelId) clauses.push(`"modelId" = ${quoteString(filter.modelId)}`);
  return clauses;
}

function where(clauses: string[]): string {
  return clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '';
}

const windowClauses = (q: { from: number; to: number }) => [
  `time >= ${timeLiteral(q.from)}`,
  `time < ${timeLiteral(q.to)}`,
];

/** Newest row of each lamp: one series per lamp, ordered newest first, one row each. */
export function latestQuery(filter: ValidFilter): string {
  return `SELECT * FROM "telemetry"${where(filterClauses(filter))} GROUP BY "lampId" ORDER BY time DESC LIMIT 1`;
}

export function historyQuery(q: ValidHistory): string {
  const fn = q.agg;
  return (
    `SELECT ${fn}(${column('telemetry', q.field)}) AS "value" FROM "telemetry"` +
    `${where([...windowClauses(q), ...filterClauses(q)])}` +
    ` GROUP BY time(${timeLiteral(q.bucketMs)}), "lampId" fill(none)`
  );
}

/** Energy used per lamp in the window: spread (max - min) of the cumulative counter. */
export function energyQuery(q: ValidEnergy): string {
  return (
    `SELECT spread("activeEnergy") AS "kWh" FROM "telemetry"` +
    `${where([...windowClauses(q), ...filterClauses(q)])}` +
    ` GROUP BY "lampId", "segmentId", "vendorId"`
  );
}

export function eventsQuery(q: ValidWindow): string {
  return (
    `SELECT * FROM "event"${where([...windowClauses(q), ...filterClauses(q)])}` +
    ` ORDER BY time ASC LIMIT ${q.limit}`
  );
}

export function alarmsQuery(q: ValidAlarmQuery): string {
  return (
    `SELECT * FROM "alarm"${where([...windowClauses(q), ...filterClauses(q)])}` +
    ` ORDER BY time ASC LIMIT ${q.limit}`
  );
}

/**
 * InfluxQL building. Inputs arrive validated (queries.ts); on top of that every identifier is
 * double-quoted and every value single-quoted with InfluxQL's escapes, and times are integers,
 * so no request string is ever pasted into a query.
 */

import type { PartialStat } from '../port.ts';
import type {
  ValidAlarmQuery,
  ValidEnergy,
  ValidFilter,
  ValidHistory,
  ValidPartials,
  ValidSteady,
  ValidWindow,
} from '../queries.ts';
import { type Measurement, SCHEMA, statColumn } from '../schema.ts';
import { sourceTable } from '../storedRows.ts';

/**
 * How a measurement is named in FROM: `"m"` (the database's default retention policy) unless the
 * adapter's layout says `"db"."rp"."m"` (layout.ts).
 */
export type SourceOf = (m: Measurement) => string;
const defaultSource: SourceOf = (m) => quoteIdent(m);

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
export function latestQuery(
  filter: ValidFilter,
  window?: { from: number; to: number },
  src: SourceOf = defaultSource,
): string {
  const clauses = [...(window ? windowClauses(window) : []), ...filterClauses(filter)];
  return `SELECT * FROM ${src('telemetry')}${where(clauses)} GROUP BY "lampId" ORDER BY time DESC LIMIT 1`;
}

/** Every lamp's last_state point(s); one per lamp tag set, all at time 0. */
export function lastStateQuery(filter: ValidFilter, src: SourceOf = defaultSource): string {
  return `SELECT * FROM ${src('last_state')}${where(filterClauses(filter))}`;
}

/** Raw statistics of a field, as PartialsQuery defines them. */
const RAW_STAT: Record<PartialStat, string> = {
  sum: 'sum',
  n: 'count',
  min: 'min',
  max: 'max',
  last: 'last',
};

/**
 * The aggregate read: per lamp tag set and bucket, `<field>_<stat>` columns. From a rollup, the
 * statistic of its own column (a count `n` is summed). Every column comes from the schema.
 */
export function partialsQuery(q: ValidPartials, src: SourceOf = defaultSource): string {
  const raw = q.source === 'raw';
  const m = sourceTable(q.source);
  const exprs: string[] = [];
  for (const f of q.fields)
    for (const st of q.stats) {
      const alias = quoteIdent(statColumn(f, st));
      exprs.push(
        raw
          ? `${RAW_STAT[st]}(${column(m, f)}) AS ${alias}`
          : `${st === 'n' ? 'sum' : st}(${column(m, statColumn(f, st))}) AS ${alias}`,
      );
    }
  if (q.count) exprs.push(raw ? 'count("seq") AS "count"' : 'sum("count") AS "count"');
  const time = q.bucketMs === undefined ? '' : `time(${timeLiteral(q.bucketMs)}), `;
  return (
    `SELECT ${exprs.join(', ')} FROM ${src(m)}${where([...windowClauses(q), ...filterClauses(q)])}` +
    ` GROUP BY ${time}"lampId", "modelId", "segmentId", "vendorId"${time ? ' fill(none)' : ''}`
  );
}

/**
 * The rows `partialsQuery` would aggregate: the columns its statistics read, one series per
 * lamp tag set (tags in the series header: the smallest and, on 1.6, the fastest answer).
 */
export function rowsQuery(q: ValidPartials, src: SourceOf = defaultSource): string {
  const m = sourceTable(q.source);
  const cols = new Set<string>();
  if (q.count) cols.add(q.source === 'raw' ? 'seq' : 'count');
  for (const f of q.fields)
    for (const st of q.stats) cols.add(q.source === 'raw' ? f : statColumn(f, st));
  return (
    `SELECT ${[...cols].map((c) => column(m, c)).join(', ')} FROM ${src(m)}` +
    `${where([...windowClauses(q), ...filterClauses(q)])}` +
    ' GROUP BY "lampId", "modelId", "segmentId", "vendorId"'
  );
}

/** The steady-state tier's rows of a window (tags in the series header, as `rowsQuery`). */
export function steadyQuery(q: ValidSteady, src: SourceOf = defaultSource): string {
  return (
    `SELECT * FROM ${src('steady_1h')}${where([...windowClauses(q), ...filterClauses(q)])}` +
    ' GROUP BY "lampId", "level", "modelId", "segmentId", "vendorId"'
  );
}

/** Each lamp's newest status in [from, to): its state when a window starts at `to`. */
export function statusBeforeQuery(
  q: ValidWindow,
  lookFrom: number,
  src: SourceOf = defaultSource,
): string {
  return (
    `SELECT "state" FROM ${src('status')}${where([...windowClauses({ from: lookFrom, to: q.from }), ...filterClauses(q)])}` +
    ' GROUP BY "lampId" ORDER BY time DESC LIMIT 1'
  );
}

export function statusChangesQuery(q: ValidWindow, src: SourceOf = defaultSource): string {
  return (
    `SELECT "lampId", "state" FROM ${src('status')}${where([...windowClauses(q), ...filterClauses(q)])}` +
    ` ORDER BY time ASC LIMIT ${q.limit}`
  );
}

/** Retention by delete (1.x): every point of one measurement before `cutoff`. */
export function deleteBeforeQuery(measurement: keyof typeof SCHEMA, cutoff: number): string {
  // InfluxQL's DELETE takes no retention policy: it deletes from every policy of the database.
  return `DELETE FROM ${quoteIdent(measurement)} WHERE time < ${timeLiteral(cutoff)}`;
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

export function eventsQuery(q: ValidWindow, src: SourceOf = defaultSource): string {
  return (
    `SELECT * FROM ${src('event')}${where([...windowClauses(q), ...filterClauses(q)])}` +
    ` ORDER BY time ASC LIMIT ${q.limit}`
  );
}

export function acksQuery(q: ValidWindow, src: SourceOf = defaultSource): string {
  return (
    `SELECT * FROM ${src('ack')}${where([...windowClauses(q), ...filterClauses(q)])}` +
    ` ORDER BY time ASC LIMIT ${q.limit}`
  );
}

export function alarmsQuery(q: ValidAlarmQuery, src: SourceOf = defaultSource): string {
  return (
    `SELECT * FROM ${src('alarm')}${where([...windowClauses(q), ...filterClauses(q)])}` +
    ` ORDER BY time ASC LIMIT ${q.limit}`
  );
}

/**
 * The embedded DuckDB adapter, the default for a start with no server. One table per
 * measurement with primary key (tags, ts), so a replayed point replaces itself. Rows arrive by
 * appender into a staging table and move over with INSERT OR REPLACE; reads are parameterised
 * SQL with identifiers from the schema's whitelist only.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Alarm } from '../../contract/alarms.ts';
import {
  type EnergyRow,
  type HistorySeries,
  type Store,
  type StoredEvent,
  type StoredTelemetry,
  StoreError,
} from '../port.ts';
import { parseQuery, type ValidFilter } from '../queries.ts';
import { compact, type FieldType, MEASUREMENTS, type Measurement, SCHEMA } from '../schema.ts';

export interface DuckdbStoreOptions {
  /** Database file; ':memory:' for tests. */
  path: string;
}

const SQL_TYPE: Record<FieldType, string> = {
  float: 'DOUBLE',
  int: 'BIGINT',
  string: 'VARCHAR',
  bool: 'BOOLEAN',
};

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

function columnsOf(m: Measurement) {
  const s = SCHEMA[m];
  return [
    ...s.tags.map((name) => ({ name, type: 'tag' as const })),
    { name: 'ts', type: 'ts' as const },
    ...Object.entries(s.fields).map(([name, type]) => ({ name, type })),
  ];
}

function ddl(m: Measurement, table: string, temp: boolean): string {
  const s = SCHEMA[m];
  const cols = columnsOf(m).map((c) => {
    const type = c.type === 'tag' ? 'VARCHAR' : c.type === 'ts' ? 'BIGINT' : SQL_TYPE[c.type];
    // Optional tags are stored as '' so they can sit in the primary key.
    const notNull = c.type === 'tag' || c.type === 'ts' ? ' NOT NULL' : '';
    return `${q(c.name)} ${type}${notNull}`;
  });
  const pk = temp ? '' : `, PRIMARY KEY (${[...s.tags, 'ts'].map(q).join(', ')})`;
  return `CREATE ${temp ? 'TEMP ' : ''}TABLE IF NOT EXISTS ${q(table)} (${cols.join(', ')}${pk})`;
}

function filterSql(filter: ValidFilter, params: (string | number | bigint)[]): string[] {
  const clauses: string[] = [];
  const param = (v: string | number | bigint) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (filter.lampIds) clauses.push(`"lampId" IN (${filter.lampIds.map(param).join(', ')})`);
  if (filter.segmentId) clauses.push(`"segmentId" = ${param(filter.segmentId)}`);
  if (filter.vendorId) clauses.push(`"vendorId" = ${param(filter.vendorId)}`);
  if (filter.modelId) clauses.push(`"modelId" = ${param(filter.modelId)}`);
  return clauses;
}

const where = (clauses: string[]) => (clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '');

/**
 * Whether a DuckDB error may pass: only errors about the data or the statement are final
 * (constraint, conversion, type mismatch, invalid input, binder, parser). I/O, locks, memory and
 * an invalidated database are not, and the batch stays in the spool rather than being set aside.
 */
export function retryableDuckdbError(message: string): boolean {
  return !/Constraint Error|Conversion Error|Mismatch Type Error|Invalid Input Error|Binder Error|Parser Error/i.test(
    message,
  );
}

function toStoreError(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  const message = (err as Error)?.message ?? String(err);
  return new StoreError(`${what}: ${message}`, retryableDuckdbError(message), { cause: err });
}

/** Convert DuckDB's JS values (BIGINT arrives as bigint) to plain numbers, dropping nulls. */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'bigint' ? Number(v) : v;
  return compact(out);
}

export async function createDuckdbStore(opts: DuckdbStoreOptions): Promise<Store> {
  if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  try {
    instance = await DuckDBInstance.create(opts.path);
    conn = await instance.connect();
    for (const m of Object.values(MEASUREMENTS)) {
      await conn.run(ddl(m, m, false));
      await conn.run(ddl(m, `staging_${m}`, true));
    }
  } catch (err) {
    throw toStoreError(err, `DuckDB at ${opts.path}`);
  }

  // One statement sequence at a time on the single connection: staging tables are shared.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };

  const write = (m: Measurement, records: readonly object[]) =>
    serial(async () => {
      if (records.length === 0) return;
      const cols = columnsOf(m);
      const optional = new Set(SCHEMA[m].optionalTags ?? []);
      try {
        const appender = await conn.createAppender(`staging_${m}`, 'main', 'temp');
        for (const rec of records as Record<string, unknown>[]) {
          for (const c of cols) {
            const v = rec[c.name];
            if (c.type === 'tag')
              appender.appendVarchar(
                typeof v === 'string' ? v : optional.has(c.name) ? '' : String(v),
              );
            else if (c.type === 'ts') appender.appendBigInt(BigInt(Math.trunc(v as number)));
            else if (v === undefined || v === null) appender.appendNull();
            else if (c.type === 'float') appender.appendDouble(v as number);
            else if (c.type === 'int') appender.appendBigInt(BigInt(v as number));
            else if (c.type === 'bool') appender.appendBoolean(v as boolean);
            else appender.appendVarchar(String(v));
          }
          appender.endRow();
        }
        appender.closeSync();
        // Last write wins within a batch too: keep the final row per key.
        const key = [...SCHEMA[m].tags, 'ts'].map(q).join(', ');
        await conn.run(
          `INSERT OR REPLACE INTO ${q(m)} SELECT * FROM temp.main.${q(`staging_${m}`)} ` +
            `QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY rowid DESC) = 1`,
        );
      } catch (err) {
        throw toStoreError(err, `DuckDB write ${m}`);
      } finally {
        await conn.run(`DELETE FROM temp.main.${q(`staging_${m}`)}`).catch(() => undefined);
      }
    });

  const read = (sql: string, params: (string | number | bigint)[]) =>
    serial(async () => {
      try {
        const reader = await conn.runAndReadAll(sql, params);
        return reader.getRowObjectsJS().map((r) => plain(r as Record<string, unknown>));
      } catch (err) {
        throw toStoreError(err, 'DuckDB query');
      }
    });

  const stripEmptyTags = (row: Record<string, unknown>) => {
    for (const t of ['lampId', 'segmentId']) if (row[t] === '') delete row[t];
    return row;
  };

  return {
    kind: 'duckdb',
    writeTelemetry: (points) => write('telemetry', points),
    writeEvents: (events) => write('event', events),
    writeStatus: (status) => write('status', status),
    writeAcks: (acks) => write('ack', acks),
    writeAlarms: (alarms) => write('alarm', alarms),

    async latest(filter) {
      const params: (string | number | bigint)[] = [];
      const rows = await read(
        `SELECT * FROM "telemetry"${where(filterSql(parseQuery.filter(filter), params))} ` +
          `QUALIFY row_number() OVER (PARTITION BY "lampId" ORDER BY ts DESC) = 1 ORDER BY "lampId"`,
        params,
      );
      return rows as unknown as StoredTelemetry[];
    },
    async history(query) {
      const v = parseQuery.history(query);
      const params: (string | number | bigint)[] = [
        BigInt(v.bucketMs),
        BigInt(v.from),
        BigInt(v.to),
      ];
      // The field is a whitelisted column name (TelemetryField), quoted as an identifier.
      const field = q(v.field);
      const agg = {
        mean: `avg(${field})`,
        min: `min(${field})`,
        max: `max(${field})`,
        last: `arg_max(${field}, ts)`,
      }[v.agg];
      const rows = await read(
        `SELECT "lampId", (ts // $1) * $1 AS t, ${agg} AS value FROM "telemetry"` +
          `${where(['ts >= $2', 'ts < $3', `${field} IS NOT NULL`, ...filterSql(v, params)])}` +
          ' GROUP BY "lampId", t ORDER BY "lampId", t',
        params,
      );
      const byLamp = new Map<string, HistorySeries>();
      for (const r of rows) {
        const lampId = r.lampId as string;
        let s = byLamp.get(lampId);
        if (!s) {
          s = { lampId, points: [] };
          byLamp.set(lampId, s);
        }
        s.points.push({ t: r.t as number, value: (r.value as number | undefined) ?? null });
      }
      return [...byLamp.values()];
    },
    async energy(query) {
      const v = parseQuery.energy(query);
      const params: (string | number | bigint)[] = [BigInt(v.from), BigInt(v.to)];
      const key = { lamp: '"lampId"', segment: '"segmentId"', vendor: '"vendorId"' }[v.groupBy];
      const rows = await read(
        `SELECT key, sum(kWh) AS kWh FROM (SELECT ${key} AS key, max("activeEnergy") - min("activeEnergy") AS kWh` +
          ` FROM "telemetry"${where(['ts >= $1', 'ts < $2', ...filterSql(v, params)])} GROUP BY "lampId", ${key})` +
          ' GROUP BY key ORDER BY key',
        params,
      );
      return rows.map((r) => ({ key: r.key as string, kWh: Number(r.kWh ?? 0) })) as EnergyRow[];
    },
    async events(query) {
      const v = parseQuery.window(query);
      const params: (string | number | bigint)[] = [BigInt(v.from), BigInt(v.to)];
      const rows = await read(
        `SELECT * FROM "event"${where(['ts >= $1', 'ts < $2', ...filterSql(v, params)])} ORDER BY ts, "lampId" LIMIT ${v.limit}`,
        params,
      );
      return rows as unknown as StoredEvent[];
    },
    async alarms(query) {
      const v = parseQuery.alarms(query);
      const params: (string | number | bigint)[] = [BigInt(v.from), BigInt(v.to)];
      const rows = await read(
        `SELECT * FROM "alarm"${where(['ts >= $1', 'ts < $2', ...filterSql(v, params)])} ORDER BY ts, "alarmId" LIMIT ${v.limit}`,
        params,
      );
      return rows.map(stripEmptyTags) as unknown as Alarm[];
    },
    async health() {
      try {
        await read('SELECT 1', []);
        return { ok: true, version: 'duckdb' };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },
    async close() {
      await serial(async () => {
        conn.closeSync();
        instance.closeSync();
      });
    },
  };
}

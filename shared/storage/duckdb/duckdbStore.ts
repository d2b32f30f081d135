/**
 * The embedded DuckDB adapter, the default for a start with no server. One table per
 * measurement, without a primary key or index (layout.ts says why, and migrates older files).
 * A point's identity is still its tags and device timestamp: a batch arrives by appender into a
 * staging table, replaces the rows of the same keys (looked for only within the batch's own
 * time range, which DuckDB's per-row-group min/max of `ts` narrows to the newest blocks) and is
 * appended. Reads are parameterised SQL with identifiers from the schema's whitelist only.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Alarm } from '../../contract/alarms.ts';
import { DEFAULT_DUCKDB_MEMORY_LIMIT } from '../config.ts';
import {
  type PartialRow,
  type PartialStat,
  type SteadyRow,
  type Store,
  type StoredAck,
  type StoredEvent,
  type StoredTelemetry,
  StoreError,
} from '../port.ts';
import { parseQuery, type ValidFilter, type ValidPartials } from '../queries.ts';
import { REPLAY_CHUNK_STEPS, replayFrames, type StepLastsReader } from '../replay.ts';
import { composedEnergy, composedHistory } from '../rollup.ts';
import { compact, MEASUREMENTS, type Measurement, SCHEMA, statColumn } from '../schema.ts';
import {
  fromLastStateRows,
  ROLLUP_TABLE,
  rollupStateFromRows,
  rollupStateRecords,
  STATUS_LOOKBACK_MS,
  sourceTable,
  toLastStateRecords,
} from '../storedRows.ts';
import { columnsOf, ensureLayout, keyColumns, LayoutError, q, tableDdl } from './layout.ts';

export interface DuckdbStoreOptions {
  /** Database file; ':memory:' for tests. */
  path: string;
  /**
   * DuckDB's `memory_limit` (its buffer pool: cached blocks, hash tables, sorts; beyond it
   * DuckDB spills to `<file>.tmp` or fails the query), e.g. '256MB', '1GB'. Default 256MB.
   */
  memoryLimit?: string;
  /** DuckDB's worker threads for a query; default: one per core. */
  threads?: number;
}

/** DuckDB's settings for an instance of these options. */
export function duckdbSettings(opts: DuckdbStoreOptions): Record<string, string> {
  const settings: Record<string, string> = {
    memory_limit: opts.memoryLimit ?? DEFAULT_DUCKDB_MEMORY_LIMIT,
  };
  if (opts.threads !== undefined) settings.threads = String(opts.threads);
  return settings;
}

/**
 * The rows of a batch to store: the last of each key (a batch may hold a point twice after a
 * journal replay; last write wins, as for a rewrite across batches).
 */
function lastPerKey(
  m: Measurement,
  records: Record<string, unknown>[],
  tagOf: (rec: Record<string, unknown>, name: string) => string,
): Record<string, unknown>[] {
  const tags = SCHEMA[m].tags;
  const seen = new Map<string, number>();
  for (let i = 0; i < records.length; i++) {
    const rec = records[i] as Record<string, unknown>;
    let key = String(Math.trunc(rec.ts as number));
    for (const t of tags) key += `\u0000${tagOf(rec, t)}`;
    seen.set(key, i);
  }
  if (seen.size === records.length) return records;
  const keep = new Set(seen.values());
  return records.filter((_, i) => keep.has(i));
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

/** Raw statistics of a column, as PartialsQuery defines them. */
const RAW_STAT_SQL: Record<PartialStat, (col: string) => string> = {
  sum: (c) => `sum(${c})`,
  n: (c) => `count(${c})`,
  min: (c) => `min(${c})`,
  max: (c) => `max(${c})`,
  last: (c) => `arg_max(${c}, ts)`,
};

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

/**
 * Rows of a result as plain objects: BIGINT/HUGEINT (bigint) as numbers, nulls left out. Built
 * from the result's columns: DuckDB's own row objects cost ~4 us a row (a replay of every lamp
 * reads 200,000), this ~1 us.
 */
function rowsOf(reader: {
  columnNames(): string[];
  getColumns(): readonly (readonly unknown[])[];
}): Record<string, unknown>[] {
  const names = reader.columnNames();
  const cols = reader.getColumns();
  const n = cols[0]?.length ?? 0;
  const out: Record<string, unknown>[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row: Record<string, unknown> = {};
    for (let j = 0; j < names.length; j++) {
      const v = (cols[j] as readonly unknown[])[i];
      if (v === null || v === undefined) continue;
      row[names[j] as string] = typeof v === 'bigint' ? Number(v) : v;
    }
    out[i] = row;
  }
  return out;
}

export async function createDuckdbStore(opts: DuckdbStoreOptions): Promise<Store> {
  if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  try {
    instance = await DuckDBInstance.create(opts.path, duckdbSettings(opts));
    conn = await instance.connect();
    await ensureLayout(conn, opts.path);
    for (const m of Object.values(MEASUREMENTS)) await conn.run(tableDdl(m, `staging_${m}`, true));
  } catch (err) {
    if (err instanceof LayoutError) throw new StoreError(err.message, false, { cause: err });
    // DuckDB says only "Failed to set config": name what was set, and do not retry it.
    if (/Failed to set config/i.test((err as Error)?.message ?? ''))
      throw new StoreError(
        `DuckDB at ${opts.path}: settings refused (${Object.entries(duckdbSettings(opts))
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}): ${(err as Error).message}`,
        false,
        { cause: err },
      );
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
      const tagOf = (rec: Record<string, unknown>, name: string) => {
        const v = rec[name];
        return typeof v === 'string' ? v : optional.has(name) ? '' : String(v);
      };
      const rows = lastPerKey(m, records as Record<string, unknown>[], tagOf);
      const staging = `temp.main.${q(`staging_${m}`)}`;
      let minTs = Number.POSITIVE_INFINITY;
      let maxTs = Number.NEGATIVE_INFINITY;
      let open = false;
      try {
        const appender = await conn.createAppender(`staging_${m}`, 'main', 'temp');
        for (const rec of rows) {
          for (const c of cols) {
            const v = rec[c.name];
            if (c.type === 'tag') appender.appendVarchar(tagOf(rec, c.name));
            else if (c.type === 'ts') {
              const ts = Math.trunc(v as number);
              if (ts < minTs) minTs = ts;
              if (ts > maxTs) maxTs = ts;
              appender.appendBigInt(BigInt(ts));
            } else if (v === undefined || v === null) appender.appendNull();
            else if (c.type === 'float') appender.appendDouble(v as number);
            else if (c.type === 'int') appender.appendBigInt(BigInt(v as number));
            else if (c.type === 'bool') appender.appendBoolean(v as boolean);
            else appender.appendVarchar(String(v));
          }
          appender.endRow();
        }
        appender.closeSync();
        // A replayed, rewritten or late row replaces the stored one with its key (last write
        // wins, as in InfluxDB). Only the batch's own time range can hold such rows, and DuckDB
        // skips every row group whose ts min/max lies outside it: the cost does not grow with
        // history. Both statements in one transaction: a reader never sees the row missing.
        const on = keyColumns(m)
          .map((k) => `t.${q(k)} = s.${q(k)}`)
          .join(' AND ');
        await conn.run('BEGIN TRANSACTION');
        open = true;
        await conn.run(
          `DELETE FROM ${q(m)} AS t USING ${staging} AS s ` +
            `WHERE t.ts >= ${minTs} AND t.ts <= ${maxTs} AND ${on}`,
        );
        await conn.run(`INSERT INTO ${q(m)} SELECT * FROM ${staging}`);
        await conn.run('COMMIT');
        open = false;
      } catch (err) {
        if (open) await conn.run('ROLLBACK').catch(() => undefined);
        throw toStoreError(err, `DuckDB write ${m}`);
      } finally {
        await conn.run(`DELETE FROM ${staging}`).catch(() => undefined);
      }
    });

  const read = (sql: string, params: (string | number | bigint)[]) =>
    serial(async () => {
      try {
        return rowsOf(await conn.runAndReadAll(sql, params));
      } catch (err) {
        throw toStoreError(err, 'DuckDB query');
      }
    });

  /** The one aggregate read (see PartialsQuery); column names from the schema's whitelist. */
  const partials = async (v: ValidPartials): Promise<PartialRow[]> => {
    const params: (string | number | bigint)[] = [BigInt(v.from), BigInt(v.to)];
    // Without buckets the window is one bucket, starting at `from` (set below).
    // The bucket is a literal, not a parameter: a parameter in the GROUP BY expression made the
    // query 5-7x slower (no constant folding). It is a validated integer (zod: int >= 1,000).
    const size = v.bucketMs;
    if (size !== undefined && !Number.isSafeInteger(size))
      throw new StoreError('bucket is not an integer', false);
    const bucket = size === undefined ? '' : `, (ts // ${size}) * ${size} AS "t"`;
    const raw = v.source === 'raw';
    const table = sourceTable(v.source);
    const exprs: string[] = [];
    for (const f of v.fields)
      for (const st of v.stats) {
        const expr = raw
          ? RAW_STAT_SQL[st](q(f))
          : st === 'last'
            ? `arg_max(${q(statColumn(f, st))}, ts)`
            : `${st === 'n' ? 'sum' : st}(${q(statColumn(f, st))})`;
        exprs.push(`${expr} AS ${q(statColumn(f, st))}`);
      }
    if (v.count) exprs.push(raw ? 'count(*) AS "count"' : 'sum("count") AS "count"');
    const rows = await read(
      `SELECT "lampId", "segmentId", "vendorId", "modelId"${bucket}, ${exprs.join(', ')} ` +
        `FROM ${q(table)}${where(['ts >= $1', 'ts < $2', ...filterSql(v, params)])} ` +
        'GROUP BY ALL',
      params,
    );
    for (const row of rows) {
      row.ts = row.t ?? v.from;
      delete row.t;
    }
    return rows as PartialRow[];
  };

  /**
   * Replay's read: each lamp's last level and power per step, grouped by lamp and step only and
   * read back as columns (no row objects: a night of the route at 10 s is 1.2 M cells).
   */
  const stepLasts: StepLastsReader = async (query) => {
    const v = parseQuery.partials({
      ...query,
      fields: ['actualLevel', 'activePower'],
      stats: ['last'],
    });
    const size = v.bucketMs;
    if (size === undefined || !Number.isSafeInteger(size))
      throw new StoreError('step is not an integer', false);
    const col = (f: 'actualLevel' | 'activePower') =>
      q(v.source === 'raw' ? f : statColumn(f, 'last'));
    const params: (string | number | bigint)[] = [BigInt(v.from), BigInt(v.to)];
    const sql =
      `SELECT "lampId", ((ts // ${size}) * ${size})::DOUBLE AS t, ` +
      `arg_max(${col('actualLevel')}, ts) AS level, arg_max(${col('activePower')}, ts) AS power ` +
      `FROM ${q(sourceTable(v.source))}${where(['ts >= $1', 'ts < $2', ...filterSql(v, params)])} ` +
      'GROUP BY 1, 2';
    // Read chunk by chunk from the vectors: doubles straight from their typed arrays (the
    // generic column conversion cost ~1 us a value here).
    const out = {
      lampId: [] as string[],
      t: [] as number[],
      level: [] as (number | null)[],
      power: [] as (number | null)[],
    };
    await serial(async () => {
      try {
        const result = await conn.run(sql, params);
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          const [lamp, t, level, power] = [0, 1, 2, 3].map((i) => chunk.getColumnVector(i));
          for (let i = 0; i < chunk.rowCount; i++) {
            out.lampId.push(lamp?.getItem(i) as string);
            out.t.push(t?.getItem(i) as number);
            out.level.push(level?.getItem(i) as number | null);
            out.power.push(power?.getItem(i) as number | null);
          }
        }
      } catch (err) {
        throw toStoreError(err, 'DuckDB query');
      }
    });
    return out;
  };

  const stripEmptyTags = (row: Record<string, unknown>) => {
    for (const t of ['lampId', 'segmentId']) if (row[t] === '') delete row[t];
    return row;
  };

  const store: Store = {
    kind: 'duckdb',
    writeTelemetry: (points) => write('telemetry', points),
    writeEvents: (events) => write('event', events),
    writeStatus: (status) => write('status', status),
    writeAcks: (acks) => write('ack', acks),
    writeAlarms: (alarms) => write('alarm', alarms),

    async latest(filter, window) {
      const params: (string | number | bigint)[] = [];
      const clauses = filterSql(parseQuery.filter(filter), params);
      if (window) {
        const w = parseQuery.window({ ...window });
        params.push(BigInt(w.from), BigInt(w.to));
        clauses.push(`ts >= $${params.length - 1}`, `ts < $${params.length}`);
      }
      const rows = await read(
        `SELECT * FROM "telemetry"${where(clauses)} ` +
          `QUALIFY row_number() OVER (PARTITION BY "lampId" ORDER BY ts DESC) = 1 ORDER BY "lampId"`,
        params,
      );
      return rows as unknown as StoredTelemetry[];
    },
    async lastState(filter) {
      const params: (string | number | bigint)[] = [];
      const rows = await read(
        `SELECT * FROM "last_state"${where(filterSql(parseQuery.filter(filter), params))}`,
        params,
      );
      return fromLastStateRows(rows);
    },
    writeLastState: (readings) => write('last_state', toLastStateRecords(readings)),
    partials: (query) => partials(parseQuery.partials(query)),
    writeRollups: (resolution, rows) => write(ROLLUP_TABLE[resolution], rows),
    async rollupState() {
      return rollupStateFromRows(await read('SELECT * FROM "rollup_state"', []));
    },
    writeRollupState: (state) => write('rollup_state', rollupStateRecords(state)),
    async steady(query) {
      const v = parseQuery.steady(query);
      const params: (string | number | bigint)[] = [BigInt(v.from), BigInt(v.to)];
      const rows = await read(
        `SELECT * FROM "steady_1h"${where(['ts >= $1', 'ts < $2', ...filterSql(v, params)])}`,
        params,
      );
      return rows as SteadyRow[];
    },
    writeSteady: (rows) => write('steady_1h', rows),
    replay(query) {
      return replayFrames(store, parseQuery.replay(query), REPLAY_CHUNK_STEPS, stepLasts);
    },
    async statusChanges(query) {
      const v = parseQuery.window(query);
      const p1: (string | number | bigint)[] = [
        BigInt(v.from - STATUS_LOOKBACK_MS),
        BigInt(v.from),
      ];
      const initial = await read(
        `SELECT "lampId", state, ts FROM "status"${where(['ts >= $1', 'ts < $2', ...filterSql(v, p1)])} ` +
          'QUALIFY row_number() OVER (PARTITION BY "lampId" ORDER BY ts DESC) = 1 ORDER BY "lampId"',
        p1,
      );
      const p2: (string | number | bigint)[] = [BigInt(v.from), BigInt(v.to)];
      const changes = await read(
        `SELECT "lampId", state, ts FROM "status"${where(['ts >= $1', 'ts < $2', ...filterSql(v, p2)])} ` +
          `ORDER BY ts, "lampId" LIMIT ${v.limit}`,
        p2,
      );
      return {
        initial: initial as { lampId: string; state: string; ts: number }[],
        changes: changes as { lampId: string; state: string; ts: number }[],
      };
    },
    async deleteBefore(source, cutoff) {
      const table = sourceTable(source);
      if (!Number.isSafeInteger(cutoff)) throw new StoreError('cutoff is not an integer', false);
      await serial(async () => {
        try {
          await conn.run(`DELETE FROM ${q(table)} WHERE ts < $1`, [BigInt(cutoff)]);
          // Give the freed blocks back to the file (DuckDB reuses them after a checkpoint).
          await conn.run('CHECKPOINT');
        } catch (err) {
          throw toStoreError(err, `DuckDB retention ${table}`);
        }
      });
    },
    async history(query) {
      return composedHistory(store, parseQuery.history(query));
    },
    async energy(query) {
      return composedEnergy(store, parseQuery.energy(query));
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
    async acks(query) {
      const v = parseQuery.window(query);
      const params: (string | number | bigint)[] = [BigInt(v.from), BigInt(v.to)];
      const rows = await read(
        `SELECT * FROM "ack"${where(['ts >= $1', 'ts < $2', ...filterSql(v, params)])} ORDER BY ts, "lampId" LIMIT ${v.limit}`,
        params,
      );
      return rows.map(compact) as unknown as StoredAck[];
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
  return store;
}

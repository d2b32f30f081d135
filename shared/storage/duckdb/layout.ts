/**
 * The DuckDB file's layout and its version. Layout 2 (December 2026): one table per measurement,
 * no primary key and no index. The first layout keyed every table by (tags, ts) with a primary
 * key, which DuckDB keeps as an ART index: at the route's 1 Hz it was most of the file (69-93
 * bytes a reading) and of the process's memory (1.8 GB after 2 M readings), and every insert
 * went through it. Without it, rows lie in arrival order (device time), each column compressed
 * on its own (dictionary for tags, ALP for doubles, bitpacking/RLE for integers and times), and
 * DuckDB's per-row-group min/max of `ts` prunes every windowed read. Idempotence moved to the
 * write (duckdbStore.ts: a batch replaces the rows with its keys, looked for in its own time
 * range only).
 *
 * A file of layout 1 is migrated when it is opened (each table copied into the new layout in
 * time order, in one transaction); a file of a newer layout than this build knows is refused
 * with a StoreError that says so.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { type FieldType, MEASUREMENTS, type Measurement, SCHEMA } from '../schema.ts';

/** The layout this build writes. Stored in `gadelys_layout`. */
export const DUCKDB_LAYOUT_VERSION = 2;
export const LAYOUT_TABLE = 'gadelys_layout';

const SQL_TYPE: Record<FieldType, string> = {
  float: 'DOUBLE',
  int: 'BIGINT',
  string: 'VARCHAR',
  bool: 'BOOLEAN',
};

export const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

export type Column = { name: string; type: 'tag' | 'ts' | FieldType };

export function columnsOf(m: Measurement): Column[] {
  const s = SCHEMA[m];
  return [
    ...s.tags.map((name) => ({ name, type: 'tag' as const })),
    { name: 'ts', type: 'ts' as const },
    ...Object.entries(s.fields).map(([name, type]) => ({ name, type })),
  ];
}

/** The identity of a row: its tags and device time (absent optional tags are stored as ''). */
export const keyColumns = (m: Measurement) => [...SCHEMA[m].tags, 'ts'];

/** CREATE TABLE of a measurement in layout 2 (or a temp staging table of the same columns). */
export function tableDdl(m: Measurement, table: string, temp: boolean): string {
  const cols = columnsOf(m).map((c) => {
    const type = c.type === 'tag' ? 'VARCHAR' : c.type === 'ts' ? 'BIGINT' : SQL_TYPE[c.type];
    const notNull = c.type === 'tag' || c.type === 'ts' ? ' NOT NULL' : '';
    return `${q(c.name)} ${type}${notNull}`;
  });
  return `CREATE ${temp ? 'TEMP ' : ''}TABLE IF NOT EXISTS ${q(table)} (${cols.join(', ')})`;
}

/** The file's layout is newer than this build's: refuse it rather than write into it. */
export class LayoutError extends Error {
  constructor(
    readonly path: string,
    readonly found: number,
  ) {
    super(
      `DuckDB file ${path} has layout ${found}; this build of gadelys reads layout ` +
        `${DUCKDB_LAYOUT_VERSION} and migrates older ones. Run the newer gadelys that wrote it, ` +
        'or point DUCKDB_PATH at another file.',
    );
    this.name = 'LayoutError';
  }
}

export interface LayoutResult {
  /** The layout the file had when opened: 0 for a new file. */
  found: number;
  /** Tables copied into the current layout. */
  migrated: string[];
}

async function scalar(conn: DuckDBConnection, sql: string): Promise<unknown> {
  const rows = (await conn.runAndReadAll(sql)).getRows();
  return rows[0]?.[0];
}

/**
 * Bring the file to the current layout: create what is missing, migrate layout 1, refuse a newer
 * one. Runs once, before the store takes any read or write.
 */
export async function ensureLayout(conn: DuckDBConnection, path: string): Promise<LayoutResult> {
  const tables = new Set(
    (
      await conn.runAndReadAll(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database()",
      )
    )
      .getRows()
      .map((r) => String(r[0])),
  );
  let found = 0;
  if (tables.has(LAYOUT_TABLE)) {
    found = Number(await scalar(conn, `SELECT max(version) FROM ${q(LAYOUT_TABLE)}`));
    if (found > DUCKDB_LAYOUT_VERSION) throw new LayoutError(path, found);
  } else if (Object.values(MEASUREMENTS).some((m) => tables.has(m))) {
    found = 1;
  }
  const migrated: string[] = [];
  if (found === DUCKDB_LAYOUT_VERSION) {
    // Measurements added since the file was made.
    for (const m of Object.values(MEASUREMENTS)) await conn.run(tableDdl(m, m, false));
    return { found, migrated };
  }
  await conn.run('BEGIN TRANSACTION');
  try {
    for (const m of Object.values(MEASUREMENTS)) {
      if (!tables.has(m)) {
        await conn.run(tableDdl(m, m, false));
        continue;
      }
      // Layout 1 -> 2: the same columns without the primary key, rows in time order. A column
      // the old table lacks is read as NULL.
      const had = new Set(
        (
          await conn.runAndReadAll(
            `SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND database_name = current_database() AND table_name = '${m}'`,
          )
        )
          .getRows()
          .map((r) => String(r[0])),
      );
      const next = `${m}__layout${DUCKDB_LAYOUT_VERSION}`;
      await conn.run(tableDdl(m, next, false));
      const select = columnsOf(m)
        .map((c) => (had.has(c.name) ? q(c.name) : `NULL AS ${q(c.name)}`))
        .join(', ');
      const first = q(SCHEMA[m].tags[0] as string);
      await conn.run(`INSERT INTO ${q(next)} SELECT ${select} FROM ${q(m)} ORDER BY ts, ${first}`);
      await conn.run(`DROP TABLE ${q(m)}`);
      await conn.run(`ALTER TABLE ${q(next)} RENAME TO ${q(m)}`);
      migrated.push(m);
    }
    await conn.run(`CREATE TABLE IF NOT EXISTS ${q(LAYOUT_TABLE)} (version INTEGER NOT NULL)`);
    await conn.run(`DELETE FROM ${q(LAYOUT_TABLE)}`);
    await conn.run(`INSERT INTO ${q(LAYOUT_TABLE)} VALUES (${DUCKDB_LAYOUT_VERSION})`);
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
  // The old tables' blocks (and their indexes) go back to the file's free list.
  if (migrated.length > 0) await conn.run('CHECKPOINT');
  return { found, migrated };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDuckdbStore,
  duckdbSettings,
  retryableDuckdbError,
} from '../../shared/storage/duckdb/duckdbStore.ts';
import { DUCKDB_LAYOUT_VERSION, keyColumns } from '../../shared/storage/duckdb/layout.ts';
import { StoreError } from '../../shared/storage/port.ts';
import { SCHEMA } from '../../shared/storage/schema.ts';
import { rollupContract } from './rollupContract.ts';
import { reading, storeContract, T0 } from './storeContract.ts';

let dir: string | undefined;
const openDuckdb = async () => {
  dir = mkdtempSync(join(tmpdir(), 'gadelys-duckdb-'));
  return createDuckdbStore({ path: join(dir, 'test.duckdb') });
};
const removeDir = async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
};
storeContract('duckdb', { open: openDuckdb, cleanup: removeDir, encodedWrites: false });
rollupContract('duckdb', openDuckdb, removeDir);

describe('DuckDB errors', () => {
  it('sets aside only what is wrong with the data; I/O, memory and locks wait in the spool', async () => {
    // Real messages, from DuckDB itself.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const messageOf = (sql: string) =>
      conn.run(sql).then(
        () => '',
        (e: Error) => e.message,
      );
    await conn.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v DOUBLE)');
    await conn.run('INSERT INTO t VALUES (1, 1.0)');
    for (const sql of [
      'INSERT INTO t VALUES (1, 2.0)',
      "INSERT INTO t VALUES (2, 'not a number')",
      'SELECT nope FROM t',
      'SELEC 1',
    ]) {
      const message = await messageOf(sql);
      expect(message).not.toBe('');
      expect(retryableDuckdbError(message)).toBe(false);
    }
    conn.closeSync();
    for (const message of [
      'IO Error: Could not write file "x.duckdb": No space left on device',
      'Out of Memory Error: failed to allocate data of size 64.0 MiB',
      'FATAL Error: database has been invalidated because of a previous fatal error',
      'IO Error: Could not set lock on file "x.duckdb": Conflicting lock is held',
    ]) {
      expect(retryableDuckdbError(message)).toBe(true);
    }
  });
});

/** Run SQL on a DuckDB file directly (the store closed), for what the port does not show. */
async function onFile<T>(
  path: string,
  fn: (run: (sql: string) => Promise<unknown[][]>) => Promise<T>,
) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(path);
  const conn = await db.connect();
  try {
    return await fn(async (sql) => (await conn.runAndReadAll(sql)).getRows());
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** The first layout's telemetry table, as it was created before layout 2. */
function layout1Ddl(): string {
  const s = SCHEMA.telemetry;
  const cols = [
    ...s.tags.map((t) => `"${t}" VARCHAR NOT NULL`),
    'ts BIGINT NOT NULL',
    ...Object.entries(s.fields).map(([f, t]) => `"${f}" ${t === 'int' ? 'BIGINT' : 'DOUBLE'}`),
  ];
  return `CREATE TABLE telemetry (${cols.join(', ')}, PRIMARY KEY (${keyColumns('telemetry')
    .map((k) => `"${k}"`)
    .join(', ')}))`;
}

describe('DuckDB layout', () => {
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gadelys-duckdb-layout-'));
    path = join(dir, 'old.duckdb');
  });
  afterEach(removeDir);

  const primaryKeys = (p: string) =>
    onFile(p, async (run) =>
      Number(
        (
          await run(
            "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'",
          )
        )[0]?.[0],
      ),
    );

  it('keeps no primary key or index, and stores its layout version', async () => {
    const store = await createDuckdbStore({ path });
    await store.writeTelemetry([reading(0, 0), reading(0, 1)]);
    await store.close();
    expect(await primaryKeys(path)).toBe(0);
    const indexes = await onFile(path, (run) => run('SELECT count(*) FROM duckdb_indexes()'));
    expect(Number(indexes[0]?.[0])).toBe(0);
    const version = await onFile(path, (run) => run('SELECT version FROM gadelys_layout'));
    expect(version).toEqual([[DUCKDB_LAYOUT_VERSION]]);
  });

  it('migrates a file of the first layout (primary key) when it opens, keeping its rows', async () => {
    const old = [reading(0, 0), reading(0, 1), reading(1, 0)];
    await onFile(path, async (run) => {
      await run(layout1Ddl());
      for (const r of old) {
        const cols = ['lampId', 'modelId', 'segmentId', 'vendorId', 'ts', 'seq', 'activePower'];
        const vals = cols.map((c) => {
          const v = (r as unknown as Record<string, unknown>)[c];
          return typeof v === 'string' ? `'${v}'` : String(v);
        });
        await run(
          `INSERT INTO telemetry (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${vals.join(', ')})`,
        );
      }
    });
    expect(await primaryKeys(path)).toBe(1);
    const store = await createDuckdbStore({ path });
    const latest = await store.latest({ lampIds: ['DOLL-0001'] });
    expect(latest.map((r) => [r.ts, r.activePower])).toEqual([[old[1]!.ts, old[1]!.activePower]]);
    // Writes after the migration are idempotent as before: a replayed point replaces itself.
    await store.writeTelemetry([
      reading(0, 1, { activePower: 77 }),
      reading(0, 1, { activePower: 78 }),
    ]);
    await store.writeTelemetry([reading(0, 1, { activePower: 78 })]);
    const hist = await store.history({
      field: 'activePower',
      agg: 'mean',
      from: T0,
      to: T0 + 10 * 60_000,
      bucketMs: 60_000,
      lampIds: ['DOLL-0001'],
    });
    expect(hist).toEqual([
      {
        lampId: 'DOLL-0001',
        points: [
          { t: T0, value: old[0]!.activePower },
          { t: T0 + 60_000, value: 78 },
        ],
      },
    ]);
    await store.close();
    expect(await primaryKeys(path)).toBe(0);
    // Opened again: nothing left to migrate, the rows are still there.
    const again = await createDuckdbStore({ path });
    expect((await again.latest({})).map((r) => r.lampId)).toEqual(['DOLL-0001', 'DOLL-0002']);
    await again.close();
  });

  it('refuses a file of a newer layout, naming it, without retrying', async () => {
    await onFile(path, async (run) => {
      await run('CREATE TABLE gadelys_layout (version INTEGER NOT NULL)');
      await run(`INSERT INTO gadelys_layout VALUES (${DUCKDB_LAYOUT_VERSION + 1})`);
    });
    const err = await createDuckdbStore({ path }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).retryable).toBe(false);
    expect((err as Error).message).toMatch(
      new RegExp(`layout ${DUCKDB_LAYOUT_VERSION + 1}.*reads layout ${DUCKDB_LAYOUT_VERSION}`),
    );
  });

  it('bounds its memory and threads as configured, and refuses a limit DuckDB cannot read', async () => {
    expect(duckdbSettings({ path })).toEqual({ memory_limit: '256MB' });
    expect(duckdbSettings({ path, memoryLimit: '1GB', threads: 1 })).toEqual({
      memory_limit: '1GB',
      threads: '1',
    });
    const err = await createDuckdbStore({ path, memoryLimit: 'lots' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).retryable).toBe(false);
    expect((err as Error).message).toMatch(/memory_limit=lots/);
  });
});

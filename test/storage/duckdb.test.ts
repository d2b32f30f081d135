import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createDuckdbStore,
  retryableDuckdbError,
} from '../../shared/storage/duckdb/duckdbStore.ts';
import { rollupContract } from './rollupContract.ts';
import { storeContract } from './storeContract.ts';

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

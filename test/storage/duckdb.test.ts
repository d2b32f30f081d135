import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckdbStore } from '../../shared/storage/duckdb/duckdbStore.ts';
import { storeContract } from './storeContract.ts';

let dir: string | undefined;
storeContract(
  'duckdb',
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'gadelys-duckdb-'));
    return createDuckdbStore({ path: join(dir, 'test.duckdb') });
  },
  async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
);

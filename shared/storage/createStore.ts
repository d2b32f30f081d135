import type { StoreConfig } from './config.ts';
import { DEFAULT_INFLUX_DATABASE } from './config.ts';
import type { Resolution, Store } from './port.ts';

/**
 * Open the configured store. Rejects with StoreError when it cannot be reached or created.
 * Adapters load on demand: DuckDB's native engine costs ~60 MB of RSS a server setup never uses.
 */
export async function createStore(
  config: StoreConfig,
  opts: {
    maxLinesPerWrite?: number;
    /** How long each resolution is kept (the processor's RETENTION_*, ms): InfluxDB's policies. */
    retention?: Record<Resolution, number>;
  } = {},
): Promise<Store> {
  if (config.STORE === 'duckdb') {
    const { createDuckdbStore } = await import('./duckdb/duckdbStore.ts');
    return createDuckdbStore({
      path: config.DUCKDB_PATH,
      memoryLimit: config.DUCKDB_MEMORY_LIMIT,
      threads: config.DUCKDB_THREADS,
    });
  }
  const { createInfluxStore } = await import('./influxdb/influxStore.ts');
  return createInfluxStore({
    url: config.INFLUX_URL,
    database: config.INFLUX_BUCKET ?? config.INFLUX_DATABASE ?? DEFAULT_INFLUX_DATABASE,
    token: config.INFLUX_TOKEN,
    org: config.INFLUX_ORG,
    retentionPolicy: config.INFLUX_RETENTION_POLICY,
    maxLinesPerWrite: opts.maxLinesPerWrite,
    retention: opts.retention,
  });
}

/**
 * One policy for the store at start, for every service that opens one (processor, gateway, the
 * lab for both):
 * - reachable: used.
 * - down (a retryable StoreError: InfluxDB not up yet): the service starts anyway, on a store
 *   that opens on first use and again after each failure. The processor journals and acks
 *   meanwhile; the gateway serves live data and answers 503 with the store's error.
 * - the embedded DuckDB file held by another process: a configuration mistake, not an outage
 *   (DuckDB lets one process open a file; a read-only open fails too while a writer holds it,
 *   tried with @duckdb/node-api 1.5): a ConfigError that names the fix.
 * - anything else: the error, and the start fails.
 */
import { ConfigError } from '../config.ts';
import type { Logger } from '../log.ts';
import type { StoreConfig } from '../storage/config.ts';
import { createStore } from '../storage/createStore.ts';
import { type Resolution, type Store, StoreError } from '../storage/port.ts';
import { deferredStore } from './deferredStore.ts';

/** What DuckDB says when another process holds the file. */
const LOCKED = /Could not set lock on file|Conflicting lock is held/i;

/** The way out of a shared embedded store, in every message about it. */
export const EMBEDDED_STORE_FIX =
  'For separate processes use InfluxDB (STORE=influxdb with INFLUX_URL, as docker-compose.yml does), or run every service in one process with `npm start`.';

export async function openStore(
  service: string,
  config: StoreConfig,
  opts: { log: Logger; maxLinesPerWrite?: number; retention?: Record<Resolution, number> },
): Promise<Store> {
  const open = () =>
    createStore(config, {
      ...(opts.maxLinesPerWrite ? { maxLinesPerWrite: opts.maxLinesPerWrite } : {}),
      ...(opts.retention ? { retention: opts.retention } : {}),
    });
  try {
    return await open();
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    if (config.STORE === 'duckdb' && LOCKED.test(message)) {
      const holder = /PID (\d+)/.exec(message)?.[1];
      throw new ConfigError(service, [
        `DUCKDB_PATH=${JSON.stringify(config.DUCKDB_PATH)}: the embedded store is open in another process${holder ? ` (PID ${holder})` : ''}, and DuckDB lets only one process open it. ${EMBEDDED_STORE_FIX}`,
      ]);
    }
    if (!(err instanceof StoreError) || !err.retryable) throw err;
    opts.log.warn({ err: message }, 'store unreachable at start; starting anyway, retrying on use');
    return deferredStore(config.STORE, open);
  }
}

/**
 * A gateway in its own process reads the store the processor writes. The embedded store cannot
 * be shared that way, so it refuses at start rather than run without history.
 */
export function refuseEmbeddedStore(service: string, config: StoreConfig): void {
  if (config.STORE !== 'duckdb') return;
  throw new ConfigError(service, [
    `STORE=duckdb: the embedded store (${config.DUCKDB_PATH}) belongs to the processor's process; DuckDB lets only one process open it, so a ${service} started on its own cannot read it. ${EMBEDDED_STORE_FIX}`,
  ]);
}

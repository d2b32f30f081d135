import { z } from 'zod';
import { env } from '../config.ts';

/** Default embedded database file, relative to the working directory. */
export const DEFAULT_DUCKDB_PATH = './data/gadelys.duckdb';
/** DuckDB's own default is 80 % of the machine's RAM; an embedded store should ask for less. */
export const DEFAULT_DUCKDB_MEMORY_LIMIT = '256MB';
export const DEFAULT_INFLUX_URL = 'http://127.0.0.1:8086';
export const DEFAULT_INFLUX_DATABASE = 'gadelys';

/**
 * Store variables, shared by every service that opens the store (processor writes, gateway
 * reads). Spread `StoreEnvShape` into a service's env schema; every variable is in .env.example.
 */
export const StoreEnvShape = {
  /** duckdb (embedded, default) or influxdb. */
  STORE: env.oneOf(['duckdb', 'influxdb'] as const, 'duckdb'),
  DUCKDB_PATH: env.string(DEFAULT_DUCKDB_PATH),
  /** DuckDB's memory_limit (its buffer pool; beyond it it spills to <file>.tmp), e.g. 256MB, 1GB. */
  DUCKDB_MEMORY_LIMIT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'a size such as 256MB or 1GB')
      .default(DEFAULT_DUCKDB_MEMORY_LIMIT),
  ),
  /** DuckDB's worker threads per query; unset: one per core. */
  DUCKDB_THREADS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(1).max(256).optional(),
  ),
  INFLUX_URL: env.url(DEFAULT_INFLUX_URL),
  /** 1.x/3.x database; on 2.x the bucket name (reads map it through DBRP). */
  INFLUX_DATABASE: env.optionalString(),
  /** 2.x bucket; an alias of INFLUX_DATABASE that wins when both are set. */
  INFLUX_BUCKET: env.optionalString(),
  /** 2.x/3.x token, or user:password on 1.x. */
  INFLUX_TOKEN: env.optionalString(),
  INFLUX_ORG: env.optionalString(),
  /** 1.x retention policy of events, status, acks, alarms (autogen when unset); see layout.ts. */
  INFLUX_RETENTION_POLICY: env.optionalString(),
};
export const StoreEnv = z.object(StoreEnvShape);
export type StoreConfig = z.infer<typeof StoreEnv>;

import { join } from 'node:path';

/**
 * The environment of a whole lab (`services/lab/main.ts` or `startLab`) that touches nothing of
 * the machine's: every port chosen by the OS and all data under `dir`. Only PATH is passed on.
 */
export function labEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    PORT: '0',
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    BROKER_METRICS_PORT: '0',
    PROCESSOR_METRICS_PORT: '0',
    DUCKDB_PATH: join(dir, 'lab.duckdb'),
    SPOOL_DIR: join(dir, 'spool'),
    GATEWAY_DATA_DIR: join(dir, 'gateway'),
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

import { z } from 'zod';
import { env, loadConfig } from '../../shared/config.ts';

/** Gateway environment; every variable is listed in .env.example. */
export const GatewayEnv = z.object({
  /** HTTP port of the REST API, WebSocket and dashboard; 0 picks a free one. */
  PORT: env.port(8080),
  /** Address to listen on. */
  HOST: env.string('127.0.0.1'),
  /** Lamp inventory (CSV or GeoJSON); the shipped approximate DOLL route when unset. */
  INVENTORY_PATH: env.optionalString(),
  /** Luminaire catalog JSON; the shipped catalog when unset. */
  CATALOG_PATH: env.optionalString(),
  LOG_LEVEL: env.logLevel(),
});
export type GatewayConfig = z.infer<typeof GatewayEnv>;

export const loadGatewayConfig = (source?: Record<string, string | undefined>) =>
  loadConfig('gateway', GatewayEnv, source);

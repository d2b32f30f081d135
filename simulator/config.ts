import { z } from 'zod';
import { ServiceUsernameEnvShape } from '../shared/auth/serviceAccounts.ts';
import { InventoryEnvShape } from '../shared/bootstrap/inventory.ts';
import { env, loadConfig } from '../shared/config.ts';
import { FAULT_KINDS } from './faults.ts';

/** Named defaults; every variable is listed in .env.example. */
export const SIMULATOR_DEFAULTS = {
  mqttUrl: 'mqtt://127.0.0.1:1883',
  mode: 'lamp',
  /** Device time runs this many times faster than wall time. */
  speed: 1,
  /** Reporting interval per lamp (lamp mode) or controller (segment mode), wall-clock ms. */
  intervalMs: 1_000,
  /** Each interval varies by up to this fraction either way. */
  jitter: 0.1,
  seed: 42,
  program: 'danish',
  /** Road users entering the route per hour at the busiest hour. */
  trafficPerHour: 120,
  /** MQTT keepalive per connection, s: long, as 10,000 connections each ping. */
  keepaliveS: 60,
  /** Wait before a lost connection retries, ms (plus up to as much again at random). */
  reconnectMs: 5_000,
  /** Connections opened at once while starting. */
  connectConcurrency: 200,
  /** Scheduler tick: one timer for every lamp, wall-clock ms. */
  tickMs: 50,
} as const;

export const SimulatorEnv = z.object({
  LOG_LEVEL: env.logLevel(),
  MQTT_URL: env.url(SIMULATOR_DEFAULTS.mqttUrl),
  /** `device`: each lamp/controller logs in with its own credentials (derived from LAB_SECRET). */
  SIMULATOR_CREDENTIALS: env
    .oneOf(['device', 'service'], 'device')
    .pipe(z.enum(['device', 'service'])),
  /** Service account, used with SIMULATOR_CREDENTIALS=service (client id stays the device id). */
  SIMULATOR_MQTT_USERNAME: ServiceUsernameEnvShape.SIMULATOR_MQTT_USERNAME,
  /** Defaults to servicePassword('simulator', LAB_SECRET), whatever the username. */
  SIMULATOR_MQTT_PASSWORD: env.optionalString(),
  LAB_SECRET: env.optionalString(),
  /** The inventory: INVENTORY_PATH, else one uploaded through the gateway, else the shipped route. */
  ...InventoryEnvShape,
  SIMULATOR_MODE: env
    .oneOf(['lamp', 'segment'], SIMULATOR_DEFAULTS.mode)
    .pipe(z.enum(['lamp', 'segment'])),
  SIMULATOR_SPEED: env.number(SIMULATOR_DEFAULTS.speed, 0.001, 100_000),
  /** Device time at start, ISO 8601; default now (speed 1) or before last night's sunset. */
  SIMULATOR_START: env.optionalString().pipe(
    z
      .string()
      .refine((s) => Number.isFinite(Date.parse(s)), 'not an ISO 8601 date')
      .optional(),
  ),
  SIMULATOR_SEED: env.int(SIMULATOR_DEFAULTS.seed, 0, 2 ** 31 - 1),
  SIMULATOR_INTERVAL_MS: env.int(SIMULATOR_DEFAULTS.intervalMs, 10, 24 * 3_600_000),
  SIMULATOR_JITTER: env.number(SIMULATOR_DEFAULTS.jitter, 0, 0.5),
  SIMULATOR_PROGRAM: env
    .oneOf(['danish', 'slagelse', 'adaptive'], SIMULATOR_DEFAULTS.program)
    .pipe(z.enum(['danish', 'slagelse', 'adaptive'])),
  SIMULATOR_TRAFFIC_PER_HOUR: env.number(SIMULATOR_DEFAULTS.trafficPerHour, 0, 100_000),
  /** Faults at start, `kind:target[:k=v,...]` separated by spaces or semicolons. */
  SIMULATOR_FAULTS: env.string('').pipe(
    z.string().refine(
      (s) =>
        s
          .split(/[\s;]+/)
          .filter(Boolean)
          .every((f) => (FAULT_KINDS as readonly string[]).includes(f.split(':')[0] ?? '')),
      `every fault starts with one of ${FAULT_KINDS.join(', ')}`,
    ),
  ),
  SIMULATOR_KEEPALIVE_S: env.int(SIMULATOR_DEFAULTS.keepaliveS, 0, 3_600),
  SIMULATOR_RECONNECT_MS: env.int(SIMULATOR_DEFAULTS.reconnectMs, 100, 600_000),
  SIMULATOR_CONNECT_CONCURRENCY: env.int(SIMULATOR_DEFAULTS.connectConcurrency, 1, 10_000),
});
export type SimulatorConfig = z.infer<typeof SimulatorEnv>;

export const loadSimulatorConfig = (source?: Record<string, string | undefined>) =>
  loadConfig('simulator', SimulatorEnv, source);

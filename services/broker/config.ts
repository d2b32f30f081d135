import { z } from 'zod';
import { ServiceUsernameEnvShape } from '../../shared/auth/serviceAccounts.ts';
import { InventoryEnvShape } from '../../shared/bootstrap/inventory.ts';
import { env, loadConfig } from '../../shared/config.ts';
import { LIMITS } from '../../shared/contract/index.ts';

/** Named defaults; .env.example lists the same values. */
export const BROKER_DEFAULTS = {
  mqttPort: 1883,
  /** EMQX's and HiveMQ's customary port for MQTT over plain WebSocket. */
  wsPort: 8083,
  /** The IANA port for MQTT over TLS. */
  tlsPort: 8883,
  metricsPort: 9101,
  host: '127.0.0.1',
  maxConnections: 10_000,
  /** The largest contract payload (a segment batch) plus room for the topic and header. */
  maxPacketBytes: LIMITS.maxBatchPayloadBytes + 1024,
  /** Per device connection; a lamp reports every few seconds, a controller a batch per interval. */
  devicePublishRate: 50,
  devicePublishBurst: 500,
  /** Service accounts are trusted fan-in points (the simulator replays whole nights): unlimited. */
  servicePublishRate: 0,
  servicePublishBurst: 5_000,
  /** A client throttled for longer than this is flooding, not bursting: disconnect it. */
  rateLimitMaxDelayMs: 10_000,
  connectTimeoutMs: 10_000,
  drainTimeoutMs: 30_000,
  /** aedes' in-flight window; its default of 100 halves QoS1 throughput here. */
  concurrency: 1_000,
} as const;

/** Broker environment; every variable is listed in .env.example. */
export const BrokerEnv = z.object({
  MQTT_PORT: env.port(BROKER_DEFAULTS.mqttPort),
  MQTT_WS_PORT: env.port(BROKER_DEFAULTS.wsPort),
  /** Serve MQTT over WebSocket (path /mqtt and /) on MQTT_WS_PORT. */
  BROKER_WS_ENABLED: env.bool(true),
  /** MQTT over TLS on MQTT_TLS_PORT when both files are given. */
  MQTT_TLS_PORT: env.port(BROKER_DEFAULTS.tlsPort),
  BROKER_TLS_CERT_PATH: env.optionalString(),
  BROKER_TLS_KEY_PATH: env.optionalString(),
  /**
   * With the TLS files set, the WebSocket listener serves wss:// with them too (a browser client
   * would otherwise send its password in clear). false keeps it ws://, e.g. behind a proxy that
   * terminates TLS.
   */
  BROKER_WS_TLS: env.bool(true),
  BROKER_HOST: env.string(BROKER_DEFAULTS.host),
  /** HTTP /metrics (Prometheus) and /health; 0 picks a free port. */
  BROKER_METRICS_PORT: env.port(BROKER_DEFAULTS.metricsPort),
  BROKER_MAX_CONNECTIONS: env.int(BROKER_DEFAULTS.maxConnections, 1, 1_000_000),
  BROKER_MAX_PACKET_BYTES: env.int(BROKER_DEFAULTS.maxPacketBytes, 1024, 268_435_455),
  /** Messages per second per device connection; 0 turns the limit off. */
  BROKER_DEVICE_PUBLISH_RATE: env.number(BROKER_DEFAULTS.devicePublishRate, 0, 1_000_000),
  BROKER_DEVICE_PUBLISH_BURST: env.int(BROKER_DEFAULTS.devicePublishBurst, 1, 1_000_000),
  BROKER_SERVICE_PUBLISH_RATE: env.number(BROKER_DEFAULTS.servicePublishRate, 0, 10_000_000),
  BROKER_SERVICE_PUBLISH_BURST: env.int(BROKER_DEFAULTS.servicePublishBurst, 1, 10_000_000),
  BROKER_RATE_LIMIT_MAX_DELAY_MS: env.int(BROKER_DEFAULTS.rateLimitMaxDelayMs, 0, 3_600_000),
  BROKER_CONNECT_TIMEOUT_MS: env.int(BROKER_DEFAULTS.connectTimeoutMs, 100, 600_000),
  BROKER_DRAIN_TIMEOUT_MS: env.int(BROKER_DEFAULTS.drainTimeoutMs, 0, 600_000),
  BROKER_CONCURRENCY: env.int(BROKER_DEFAULTS.concurrency, 1, 100_000),
  /** Coalesce each event-loop turn's writes to a TCP/TLS client into one syscall (about 30 % less CPU). */
  BROKER_BATCH_WRITES: env.bool(true),
  /** Development only: clients without a username connect with full rights. Loud warning. */
  BROKER_ALLOW_ANONYMOUS: env.bool(false),
  /** Issued device credentials (scrypt hashes), written by `services/broker/cli.ts`. */
  BROKER_CREDENTIALS_PATH: env.optionalString(),
  /** Accept passwords derived from LAB_SECRET (lab and simulator). Set false in production. */
  BROKER_ACCEPT_DERIVED: env.bool(true),
  LAB_SECRET: env.optionalString(),
  /** The usernames each service role logs in with; the services read the same variables. */
  ...ServiceUsernameEnvShape,
  /** Service-account passwords; when unset, derived from LAB_SECRET (if derivation is on). */
  PROCESSOR_MQTT_PASSWORD: env.optionalString(),
  GATEWAY_MQTT_PASSWORD: env.optionalString(),
  SIMULATOR_MQTT_PASSWORD: env.optionalString(),
  ADMIN_MQTT_PASSWORD: env.optionalString(),
  ...InventoryEnvShape,
  LOG_LEVEL: env.logLevel(),
});
export type BrokerConfig = z.infer<typeof BrokerEnv>;

export const loadBrokerConfig = (source?: Record<string, string | undefined>) =>
  loadConfig('broker', BrokerEnv, source);

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
  /** Persistent sessions registered at start (the processor's default PROCESSOR_CLIENT_ID). */
  durableSessions: 'gadelys-processor',
  /** At stop, how long durable sessions may take to acknowledge what was accepted for them. */
  stopDrainMs: 5_000,
  /** aedes' in-flight window; its default of 100 halves QoS1 throughput here. */
  concurrency: 1_000,
  /** /metrics and /health stay on this machine unless asked otherwise. */
  metricsHost: '127.0.0.1',
  /** Failed logins per account (username) in a window before it is locked, as Grafana's 5. */
  authMaxFailures: 5,
  /** Failed logins per address in a window (many lamps may sit behind one NAT). */
  authMaxFailuresPerAddress: 30,
  authFailureWindowMs: 60_000,
  authLockoutMs: 60_000,
  /** The first failure is answered after this, each next one in the window after twice as long. */
  authFailureDelayMs: 100,
  /** The backoff's ceiling: beyond it the lockout does the work. */
  authMaxDelayMs: 5_000,
  /** scrypt checks (older credential files) at once, and how many may wait for one. */
  slowHashConcurrency: 1,
  slowHashQueue: 16,
  /** Per remote address; the simulator's per-lamp connections come from loopback (exempt). */
  maxConnectionsPerAddress: 1_000,
  connectRatePerAddress: 50,
  connectBurstPerAddress: 500,
  addressLimitsExempt: '127.0.0.1,::1,::ffff:127.0.0.1',
  /** Cap on each map keyed by what clients send (addresses, usernames): see docs/broker.md. */
  trackedEntries: 100_000,
  /** aedes' own heartbeat for one node (nobody listens). */
  heartbeatMs: 60_000,
  /** In a cluster a node silent for 3 beats is dead and its clients' wills fire on the others. */
  clusterHeartbeatMs: 5_000,
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
  /**
   * Their own address, apart from the MQTT listeners': opening MQTT to the street does not open
   * them. Off loopback, BROKER_METRICS_TOKEN is required.
   */
  BROKER_METRICS_HOST: env.string(BROKER_DEFAULTS.metricsHost),
  /** When set, /metrics and /health want `Authorization: Bearer <token>`. */
  BROKER_METRICS_TOKEN: env.optionalString(),
  /** Failed MQTT logins per username (or client id) per window before a cool-down; 0: off. */
  BROKER_AUTH_MAX_FAILURES: env.int(BROKER_DEFAULTS.authMaxFailures, 0, 1_000_000),
  /** Failed MQTT logins per remote address per window before a cool-down; 0: off. */
  BROKER_AUTH_MAX_FAILURES_PER_ADDRESS: env.int(
    BROKER_DEFAULTS.authMaxFailuresPerAddress,
    0,
    1_000_000,
  ),
  BROKER_AUTH_FAILURE_WINDOW_MS: env.int(BROKER_DEFAULTS.authFailureWindowMs, 1, 86_400_000),
  /** The cool-down: every CONNECT is refused with CONNACK 5, the right password included. */
  BROKER_AUTH_LOCKOUT_MS: env.int(BROKER_DEFAULTS.authLockoutMs, 0, 86_400_000),
  /** Backoff: the n-th failure in a window is answered after this x 2^(n-1) ms (at most 5 s). */
  BROKER_AUTH_FAILURE_DELAY_MS: env.int(BROKER_DEFAULTS.authFailureDelayMs, 0, 60_000),
  /** scrypt checks of older credential files at once (libuv's pool has 4 threads for everyone). */
  BROKER_SLOW_HASH_CONCURRENCY: env.int(BROKER_DEFAULTS.slowHashConcurrency, 1, 64),
  /** scrypt checks that may wait; beyond, CONNACK 3 at once. */
  BROKER_SLOW_HASH_QUEUE: env.int(BROKER_DEFAULTS.slowHashQueue, 0, 100_000),
  /** Open connections per remote address; 0: no limit. */
  BROKER_MAX_CONNECTIONS_PER_ADDRESS: env.int(
    BROKER_DEFAULTS.maxConnectionsPerAddress,
    0,
    1_000_000,
  ),
  /** New connections per second per remote address (bucket of BROKER_CONNECT_BURST_PER_ADDRESS); 0: no limit. */
  BROKER_CONNECT_RATE_PER_ADDRESS: env.number(BROKER_DEFAULTS.connectRatePerAddress, 0, 1_000_000),
  BROKER_CONNECT_BURST_PER_ADDRESS: env.int(BROKER_DEFAULTS.connectBurstPerAddress, 1, 1_000_000),
  /** Comma-separated addresses the two per-address limits skip (failed-login throttling does not). */
  BROKER_ADDRESS_LIMITS_EXEMPT: env.string(BROKER_DEFAULTS.addressLimitsExempt),
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
  /** Comma-separated client ids given the processor's subscriptions at start; `none`: none. */
  BROKER_DURABLE_SESSIONS: env.string(BROKER_DEFAULTS.durableSessions),
  BROKER_STOP_DRAIN_MS: env.int(BROKER_DEFAULTS.stopDrainMs, 0, 600_000),
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
  /**
   * redis://host:port[/db]: run as one node of a cluster sharing messages, sessions, retained
   * messages and wills through this Redis (docs/cluster.md). Unset: one node, in memory.
   */
  BROKER_CLUSTER_REDIS_URL: env.optionalUrl(),
  /** This node's id in the cluster, stable across restarts (its wills are kept under it); default <hostname>-<pid>. */
  BROKER_CLUSTER_NODE_ID: env.optionalString(),
  /** How often a cluster node says it is alive, ms; a node silent for 3 beats is dead. */
  BROKER_CLUSTER_HEARTBEAT_MS: env.int(BROKER_DEFAULTS.clusterHeartbeatMs, 100, 600_000),
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

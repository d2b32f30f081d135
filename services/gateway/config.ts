import { z } from 'zod';
import { ServiceUsernameEnvShape } from '../../shared/auth/serviceAccounts.ts';
import { DEFAULT_GATEWAY_DATA_DIR, InventoryEnvShape } from '../../shared/bootstrap/inventory.ts';
import { env, loadConfig } from '../../shared/config.ts';
import { StoreEnv } from '../../shared/storage/config.ts';
import { AUDIT_DEFAULTS } from './audit/AuditLog.ts';

/** Named defaults; every variable is listed in .env.example. */
export const GATEWAY_DEFAULTS = {
  port: 8080,
  mqttUrl: 'mqtt://127.0.0.1:1883',
  dataDir: DEFAULT_GATEWAY_DATA_DIR,
  /** How long a lamp has to acknowledge a command before the gateway resends it. */
  commandTimeoutMs: 3_000,
  /** Resends after the first attempt; the command then counts as timed out for that lamp. */
  commandRetries: 1,
  /** Per WebSocket client: at most one update per lamp in this interval; newer values coalesce. */
  wsMinIntervalMs: 100,
  /** Above this many bytes queued on a socket the client is slow: keep only the latest per lamp. */
  wsMaxBufferedBytes: 256 * 1024,
  /** Open WebSockets per user, and frames a second one socket may send. */
  wsMaxSocketsPerUser: 20,
  wsFramesPerSecond: 20,
  loginPerMinute: 10,
  /** Wrong passwords for one account within the lockout window that lock it. */
  loginLockoutFailures: 5,
  loginLockoutMinutes: 5,
  /** Active API tokens one user may hold, and how many they may issue a minute. */
  tokensPerUser: 50,
  tokensPerMinute: 10,
  commandsPerMinute: 60,
  /** How long one store read may take before the request answers 503. */
  storeTimeoutMs: 10_000,
  /** Lifetime of a login session token. */
  sessionTtlMs: 12 * 3_600_000,
} as const;

/**
 * Which proxies may set the client address (X-Forwarded-For), as express's `trust proxy` takes
 * it: `false` (none: the socket's address), a number of hops, or a comma-separated list of
 * addresses, CIDR blocks and the names loopback, linklocal, uniquelocal. `true` (any sender) is
 * refused: every client could then pick its own address and walk past the login limit.
 */
const TRUST_ITEM = /^(loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?)$/;
const TrustProxy = env
  .string('false')
  .refine(
    (v) =>
      v === 'false' ||
      /^\d{1,2}$/.test(v) ||
      v.split(',').every((item) => TRUST_ITEM.test(item.trim())),
    'false, a number of proxy hops, or addresses / CIDR blocks / loopback, linklocal, uniquelocal (comma-separated); true is refused',
  )
  .transform((v): string | number | false =>
    v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v,
  );

export const GatewayEnv = z.object({
  /** HTTP port of the REST API, WebSocket and dashboard; 0 picks a free one. */
  PORT: env.port(GATEWAY_DEFAULTS.port),
  /** Address to listen on. */
  HOST: env.string('127.0.0.1'),
  /**
   * The inventory: INVENTORY_PATH, else one uploaded through the gateway, else the shipped
   * route. GATEWAY_DATA_DIR (users, tokens, programs, audit log, uploaded inventory) is here too.
   */
  ...InventoryEnvShape,
  LOG_LEVEL: env.logLevel(),
  MQTT_URL: env.url(GATEWAY_DEFAULTS.mqttUrl),
  GATEWAY_MQTT_USERNAME: ServiceUsernameEnvShape.GATEWAY_MQTT_USERNAME,
  /** Defaults to servicePassword('gateway', LAB_SECRET), whatever the username. */
  GATEWAY_MQTT_PASSWORD: env.optionalString(),
  LAB_SECRET: env.optionalString(),
  GATEWAY_COMMAND_TIMEOUT_MS: env.int(GATEWAY_DEFAULTS.commandTimeoutMs, 50, 600_000),
  GATEWAY_COMMAND_RETRIES: env.int(GATEWAY_DEFAULTS.commandRetries, 0, 10),
  GATEWAY_WS_MIN_INTERVAL_MS: env.int(GATEWAY_DEFAULTS.wsMinIntervalMs, 0, 60_000),
  GATEWAY_WS_MAX_BUFFERED_BYTES: env.int(
    GATEWAY_DEFAULTS.wsMaxBufferedBytes,
    1024,
    64 * 1024 * 1024,
  ),
  /** Open WebSockets one user may hold at once. */
  GATEWAY_WS_MAX_SOCKETS_PER_USER: env.int(GATEWAY_DEFAULTS.wsMaxSocketsPerUser, 1, 10_000),
  /** Frames one WebSocket may send a second; beyond, refused, then the socket is closed. */
  GATEWAY_WS_FRAMES_PER_SECOND: env.int(GATEWAY_DEFAULTS.wsFramesPerSecond, 1, 10_000),
  /**
   * Origins (scheme://host:port, comma-separated) a browser may open the WebSocket from besides
   * the gateway's own, e.g. behind a proxy with another name; empty: only its own.
   */
  GATEWAY_WS_ORIGINS: env
    .string('')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== ''),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/ }))),
  GATEWAY_LOGIN_PER_MINUTE: env.int(GATEWAY_DEFAULTS.loginPerMinute, 1, 100_000),
  /** Headless Chromium that prints the reports' PDFs (Debian's `chromium`). */
  GATEWAY_CHROMIUM_PATH: env.string('/usr/bin/chromium'),
  /** Wrong passwords for one account (from any address) within the window that lock it. */
  GATEWAY_LOGIN_LOCKOUT_FAILURES: env.int(GATEWAY_DEFAULTS.loginLockoutFailures, 1, 1000),
  GATEWAY_LOGIN_LOCKOUT_MINUTES: env.int(GATEWAY_DEFAULTS.loginLockoutMinutes, 1, 24 * 60),
  /** Active API tokens a user may hold; issuing is also limited per minute. */
  GATEWAY_TOKENS_PER_USER: env.int(GATEWAY_DEFAULTS.tokensPerUser, 1, 10_000),
  GATEWAY_TOKENS_PER_MINUTE: env.int(GATEWAY_DEFAULTS.tokensPerMinute, 1, 10_000),
  GATEWAY_COMMANDS_PER_MINUTE: env.int(GATEWAY_DEFAULTS.commandsPerMinute, 1, 100_000),
  /**
   * The bearer token GET /metrics wants (Prometheus sends it); unset: /metrics answers loopback
   * callers only, so opening the gateway to the street does not open its metrics.
   */
  GATEWAY_METRICS_TOKEN: env.optionalString(),
  /** A store read that takes longer fails with 503 (a hung InfluxDB must not hang requests). */
  GATEWAY_STORE_TIMEOUT_MS: env.int(GATEWAY_DEFAULTS.storeTimeoutMs, 100, 600_000),
  /** Proxies whose X-Forwarded-For names the client (login limit, audit); none by default. */
  GATEWAY_TRUST_PROXY: TrustProxy,
  /** audit.jsonl is renamed to audit-<time>.jsonl before it grows past this many MB; never deleted. */
  GATEWAY_AUDIT_ROTATE_MB: env.int(AUDIT_DEFAULTS.rotateBytes / 1024 / 1024, 1, 100_000),
  /** Newest audit entries kept in memory for GET /api/audit; older ones are in the files only. */
  GATEWAY_AUDIT_MEMORY_ENTRIES: env.int(AUDIT_DEFAULTS.memoryEntries, 100, 10_000_000),
  /**
   * Several gateways behind a load balancer share commands, sessions, limits and the audit view
   * through this Redis (docs/cluster.md); unset: one gateway, nothing shared, no Redis needed.
   */
  GATEWAY_CLUSTER_REDIS_URL: env.optionalUrl(),
  /** This gateway's name in the cluster (audit entries name it); default gw-<hostname>-<pid>. */
  GATEWAY_NODE_ID: env.optionalString(),
});
export type GatewayConfig = z.infer<typeof GatewayEnv>;

export const loadGatewayConfig = (source?: Record<string, string | undefined>) =>
  loadConfig('gateway', GatewayEnv, source);

/**
 * The store a standalone gateway reads history from: the storage variables shared with the
 * processor (STORE, DUCKDB_PATH, INFLUX_*), listed with the processor's in .env.example. In the
 * lab the store is passed in-process instead.
 */
export const loadGatewayStoreConfig = (source?: Record<string, string | undefined>) =>
  loadConfig('gateway', StoreEnv, source);

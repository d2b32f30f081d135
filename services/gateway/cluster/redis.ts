/**
 * The gateways' shared state in Redis (docs/cluster.md, "Several gateways"): with
 * GATEWAY_CLUSTER_REDIS_URL set, command records and their lamps' states, users and tokens,
 * rate-limit buckets, login lockouts and the audit stream live in one Redis that every gateway of
 * the deployment uses. server.ts imports this folder only when the variable is set, so a single
 * gateway loads no Redis code.
 */
import { hostname } from 'node:os';
import { Redis } from 'ioredis';

/** Every key and channel of the gateways starts with this, beside the broker's own keys. */
export const KEY_PREFIX = 'gadelys:gw:';

export interface GatewayRedis {
  /** Commands, scripts and writes. */
  readonly redis: Redis;
  /** A second connection in subscriber mode (pub/sub needs its own). */
  readonly sub: Redis;
  readonly nodeId: string;
  key(...parts: string[]): string;
  close(): Promise<void>;
}

export const defaultGatewayNodeId = () => `gw-${hostname()}-${process.pid}`;

/** Connect both connections; rejects when Redis does not answer within `connectWaitMs`. */
export async function connectGatewayRedis(
  url: string,
  nodeId: string = defaultGatewayNodeId(),
  connectWaitMs = 5_000,
): Promise<GatewayRedis> {
  const options = { maxRetriesPerRequest: 3, connectTimeout: connectWaitMs, lazyConnect: true };
  const redis = new Redis(url, options);
  const sub = new Redis(url, options);
  // ioredis retries on its own after a lost connection; errors here are reported by the calls.
  redis.on('error', () => undefined);
  sub.on('error', () => undefined);
  try {
    await Promise.all([redis.connect(), sub.connect()]);
  } catch (err) {
    redis.disconnect();
    sub.disconnect();
    throw new Error(`gateway cluster: Redis at ${url} not reachable: ${(err as Error).message}`);
  }
  return {
    redis,
    sub,
    nodeId,
    key: (...parts) => KEY_PREFIX + parts.join(':'),
    close: async () => {
      await Promise.all([redis.quit().catch(() => undefined), sub.quit().catch(() => undefined)]);
    },
  };
}

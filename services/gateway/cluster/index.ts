/**
 * One gateway's part of a cluster of gateways behind a load balancer (docs/cluster.md): what needs
 * to be shared, and where it is kept, all in one Redis:
 *
 * | state | where |
 * |---|---|
 * | commands, their lamps' acks, deadlines and resends | SharedCommandBook (hashes and sorted sets, Lua) |
 * | users, login sessions, API tokens, revocations | sharedUsers (two hashes, a change channel) |
 * | login limit per address, command and token limits per user | SharedRateLimiter (a bucket per key) |
 * | login lockout per account | SharedLockout (a sorted set per account) |
 * | audit trail | each gateway's own file (entries name the node) + one stream for GET /api/audit |
 *
 * Not shared: programs, trials and report schedules (JSON files in GATEWAY_DATA_DIR), the live
 * view (each gateway builds its own from the broker) and WebSocket clients (a client that lands
 * on another gateway subscribes again and gets a fresh snapshot).
 */
import type { LockoutOptions } from '../auth/lockout.ts';
import type { CommandBook } from '../commands/CommandBook.ts';
import { connectGatewayRedis, defaultGatewayNodeId, type GatewayRedis } from './redis.ts';
import { openSharedCommandBook, type SharedCommandOptions } from './SharedCommandBook.ts';
import { sharedAudit } from './sharedAudit.ts';
import { SharedLockout, SharedRateLimiter } from './sharedLimits.ts';
import { sharedUsers } from './sharedUsers.ts';

export interface GatewayCluster {
  readonly nodeId: string;
  readonly redis: GatewayRedis;
  users: ReturnType<typeof sharedUsers>;
  audit(maxEntries: number): ReturnType<typeof sharedAudit>;
  limiter(name: string, capacity: number, perMinute: number, now: () => number): SharedRateLimiter;
  lockout(opts: LockoutOptions, now: () => number): SharedLockout;
  commands(opts: SharedCommandOptions): Promise<CommandBook>;
  close(): Promise<void>;
}

export async function joinGatewayCluster(
  url: string,
  nodeId: string = defaultGatewayNodeId(),
): Promise<GatewayCluster> {
  const redis = await connectGatewayRedis(url, nodeId);
  return {
    nodeId,
    redis,
    users: sharedUsers(redis),
    audit: (maxEntries) => sharedAudit(redis, maxEntries),
    limiter: (name, capacity, perMinute, now) =>
      new SharedRateLimiter(redis, name, capacity, perMinute, now),
    lockout: (opts, now) => new SharedLockout(redis, opts, now),
    commands: (opts) => openSharedCommandBook(redis, opts),
    close: () => redis.close(),
  };
}

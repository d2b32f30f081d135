/**
 * Rate limits and login lockouts counted once for the whole cluster: the same token bucket and
 * failure window as auth/rateLimiter.ts and auth/lockout.ts, kept in Redis, so that two gateways
 * behind a load balancer do not give a caller twice the logins or commands, nor an attacker twice
 * the password guesses. Each decision is one Lua script, atomic in Redis.
 */
import { randomBytes } from 'node:crypto';
import type { Lockout, LockoutOptions } from '../auth/lockout.ts';
import type { Limiter } from '../auth/rateLimiter.ts';
import type { GatewayRedis } from './redis.ts';

// KEYS[1] bucket; ARGV capacity, refill per ms, now, cost, ttl ms. Returns 1 when taken.
const TAKE = `
local cap = tonumber(ARGV[1]); local rate = tonumber(ARGV[2]); local t = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or cap
local at = tonumber(b[2]) or t
tokens = math.min(cap, tokens + math.max(0, t - at) * rate)
local ok = 0
if tokens >= cost then tokens = tokens - cost; ok = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(t))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return ok`;

/** A token bucket per key, shared by every gateway; the same arithmetic as RateLimiter. */
export class SharedRateLimiter implements Limiter {
  private readonly refillPerMs: number;

  constructor(
    private readonly r: GatewayRedis,
    private readonly name: string,
    private readonly capacity: number,
    perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.refillPerMs = perMinute / 60_000;
  }

  private keyOf(key: string): string {
    return this.r.key('rate', this.name, key);
  }

  async take(key: string, cost = 1): Promise<boolean> {
    // A full bucket is the same as none: let Redis forget it once it would be full again.
    const ttl = Math.ceil(this.capacity / this.refillPerMs) + 1_000;
    const ok = await this.r.redis.eval(
      TAKE,
      1,
      this.keyOf(key),
      this.capacity,
      this.refillPerMs,
      this.now(),
      cost,
      ttl,
    );
    return ok === 1;
  }

  async retryAfterS(key: string, cost = 1): Promise<number> {
    const [tokens, at] = await this.r.redis.hmget(this.keyOf(key), 'tokens', 'at');
    if (tokens === null || at === null) return 0;
    const now = Math.min(
      this.capacity,
      Number(tokens) + Math.max(0, this.now() - Number(at)) * this.refillPerMs,
    );
    return Math.max(1, Math.ceil((cost - now) / this.refillPerMs / 1000));
  }
}

/**
 * Failures per account in one sorted set per account (score = time), trimmed to the window and to
 * the last `maxFailures`, expiring with the window: the same rule as AccountLockout.
 */
export class SharedLockout implements Lockout {
  constructor(
    private readonly r: GatewayRedis,
    private readonly opts: LockoutOptions,
    private readonly now: () => number = Date.now,
  ) {}

  private keyOf(account: string): string {
    return this.r.key('lockout', account);
  }

  async lockedForS(account: string): Promise<number> {
    const key = this.keyOf(account);
    const t = this.now();
    const max = this.opts.maxFailures;
    const res = await this.r.redis
      .multi()
      .zremrangebyscore(key, '-inf', t - this.opts.windowMs)
      .zcard(key)
      .zrange(key, -max, -max, 'WITHSCORES')
      .exec();
    const count = Number(res?.[1]?.[1] ?? 0);
    const oldest = res?.[2]?.[1] as string[] | undefined;
    if (count < max || !oldest || oldest.length < 2) return 0;
    return Math.max(1, Math.ceil((Number(oldest[1]) + this.opts.windowMs - t) / 1000));
  }

  async fail(account: string): Promise<void> {
    const key = this.keyOf(account);
    const t = this.now();
    await this.r.redis
      .multi()
      .zadd(key, t, `${t}-${randomBytes(4).toString('hex')}`)
      .zremrangebyrank(key, 0, -(this.opts.maxFailures + 1))
      .pexpire(key, this.opts.windowMs)
      .exec();
  }

  async succeed(account: string): Promise<void> {
    await this.r.redis.del(this.keyOf(account));
  }
}

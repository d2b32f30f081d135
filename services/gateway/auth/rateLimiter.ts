/**
 * What a caller of a limit needs: the in-memory RateLimiter below, or a bucket shared by every
 * gateway of a cluster (services/gateway/cluster/sharedLimits.ts), which answers asynchronously.
 */
export interface Limiter {
  /** Take `cost` tokens; false (and nothing taken) when the caller is over the limit. */
  take(key: string, cost?: number): boolean | Promise<boolean>;
  /** Seconds until `cost` tokens are available, for Retry-After. */
  retryAfterS(key: string, cost?: number): number | Promise<number>;
}

/**
 * Token-bucket rate limiter keyed by caller (IP for logins, user for commands). Pure: the clock
 * is injected. Buckets are dropped once full again, so memory follows the active callers.
 */
export class RateLimiter implements Limiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly refillPerMs: number;

  constructor(
    private readonly capacity: number,
    perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.refillPerMs = perMinute / 60_000;
  }

  /** Take `cost` tokens; false (and nothing taken) when the caller is over the limit. */
  take(key: string, cost = 1): boolean {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.capacity, at: t };
    b.tokens = Math.min(this.capacity, b.tokens + (t - b.at) * this.refillPerMs);
    b.at = t;
    if (b.tokens < cost) {
      this.buckets.set(key, b);
      return false;
    }
    b.tokens -= cost;
    this.buckets.set(key, b);
    if (this.buckets.size > 10_000) this.prune(t);
    return true;
  }

  /** Seconds until `cost` tokens are available, for Retry-After. */
  retryAfterS(key: string, cost = 1): number {
    const b = this.buckets.get(key);
    if (!b) return 0;
    return Math.max(1, Math.ceil((cost - b.tokens) / this.refillPerMs / 1000));
  }

  private prune(t: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + (t - b.at) * this.refillPerMs >= this.capacity) this.buckets.delete(k);
    }
  }
}

/**
 * Failed-authentication throttling, per address and per account (the username, or the client id
 * without one). Each failure is answered later than the one before (backoff); after too many in a
 * window the address or account is locked for a cool-down, and every CONNECT it makes is refused
 * with CONNACK 5 before any password is checked, the right one included. An account lock spares
 * addresses that have logged in to that account before, so a stranger guessing the gateway's
 * password cannot lock the gateway itself out.
 */
import { type BoundedMap, createBoundedMap } from './boundedMap.ts';

export interface AuthThrottleOptions {
  /** Failures per account within the window that lock it; 0 turns account throttling off. */
  maxFailuresPerAccount: number;
  /** Failures per address within the window that lock it; 0 turns address throttling off. */
  maxFailuresPerAddress: number;
  windowMs: number;
  lockoutMs: number;
  /** The n-th failure in a window is answered after baseDelayMs * 2^(n-1), at most maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Cap on tracked addresses, accounts and trusted pairs (each). */
  maxEntries: number;
}

export interface AuthThrottle {
  /** Why this attempt is refused unheard, or undefined when it may be checked. */
  locked(address: string, account: string, nowMs: number): string | undefined;
  /** Count a failure; returns how long after the attempt began to answer it. */
  fail(address: string, account: string, nowMs: number): number;
  /** A good login: the account's failures are forgiven and the address trusted for it. */
  succeed(address: string, account: string): void;
  /** Tracked entries, for tests and docs/broker.md's bound. */
  size(): { addresses: number; accounts: number; trusted: number };
}

interface Failures {
  count: number;
  windowStart: number;
  lockedUntil: number;
}

function failureCounter(max: number, opts: AuthThrottleOptions) {
  const entries: BoundedMap<Failures> = createBoundedMap(opts.maxEntries);
  const stale = (now: number) => (f: Failures) =>
    now >= f.lockedUntil && now - f.windowStart >= opts.windowMs;
  return {
    entries,
    lockedFor(key: string, now: number): number {
      const f = entries.get(key);
      return f && f.lockedUntil > now ? f.lockedUntil - now : 0;
    },
    /** Returns the failure count in the current window (0 when off). */
    fail(key: string, now: number): number {
      if (max <= 0) return 0;
      entries.sweep(stale(now));
      const previous = entries.get(key);
      const f =
        previous && now - previous.windowStart < opts.windowMs
          ? previous
          : { count: 0, windowStart: now, lockedUntil: previous?.lockedUntil ?? 0 };
      f.count++;
      if (f.count >= max) f.lockedUntil = now + opts.lockoutMs;
      entries.touch(key, f);
      return f.count;
    },
  };
}

export function createAuthThrottle(opts: AuthThrottleOptions): AuthThrottle {
  const byAddress = failureCounter(opts.maxFailuresPerAddress, opts);
  const byAccount = failureCounter(opts.maxFailuresPerAccount, opts);
  const trusted: BoundedMap<true> = createBoundedMap(opts.maxEntries);
  const pair = (address: string, account: string) => `${account}\n${address}`;
  return {
    locked(address, account, now) {
      const a = byAddress.lockedFor(address, now);
      if (a > 0) return `address ${address} locked for ${Math.ceil(a / 1000)} s`;
      const u = byAccount.lockedFor(account, now);
      if (u > 0 && trusted.get(pair(address, account)) === undefined)
        return `account ${account.slice(0, 64)} locked for ${Math.ceil(u / 1000)} s`;
      return undefined;
    },
    fail(address, account, now) {
      const n = Math.max(byAddress.fail(address, now), byAccount.fail(account, now));
      return n === 0 ? 0 : Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (n - 1));
    },
    succeed(address, account) {
      byAccount.entries.delete(account);
      trusted.touch(pair(address, account), true);
    },
    size: () => ({
      addresses: byAddress.entries.size,
      accounts: byAccount.entries.size,
      trusted: trusted.size,
    }),
  };
}

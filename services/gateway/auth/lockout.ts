/**
 * Per-account lockout after repeated wrong passwords, on top of the per-address login limit:
 * guesses spread over many addresses still count against the one account (Grafana's default is
 * the model: 5 failures in 5 minutes). While an account is locked no password is checked, the
 * right one included, so a lock costs no scrypt work. Unknown names count like known ones, so
 * the answer does not tell which accounts exist. Pure: the clock is injected.
 */
export interface LockoutOptions {
  /** Failures within the window that lock the account. */
  maxFailures: number;
  windowMs: number;
}

/** The lockout as its callers use it: this in-memory one, or one shared by a cluster's gateways. */
export interface Lockout {
  lockedForS(account: string): number | Promise<number>;
  fail(account: string): void | Promise<void>;
  succeed(account: string): void | Promise<void>;
}

export const LOCKOUT_DEFAULTS: LockoutOptions = { maxFailures: 5, windowMs: 5 * 60_000 };

/** Accounts tracked at most; the oldest are forgotten first (bounded memory under a spray). */
const MAX_ACCOUNTS = 50_000;

export class AccountLockout implements Lockout {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly opts: LockoutOptions = LOCKOUT_DEFAULTS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the account may try again; 0 when it may now. */
  lockedForS(account: string): number {
    const recent = this.recent(account);
    if (recent.length < this.opts.maxFailures) return 0;
    const oldest = recent[recent.length - this.opts.maxFailures]!;
    return Math.max(1, Math.ceil((oldest + this.opts.windowMs - this.now()) / 1000));
  }

  fail(account: string): void {
    const recent = this.recent(account);
    recent.push(this.now());
    this.failures.delete(account);
    this.failures.set(account, recent.slice(-this.opts.maxFailures));
    if (this.failures.size > MAX_ACCOUNTS) {
      const first = this.failures.keys().next().value;
      if (first !== undefined) this.failures.delete(first);
    }
  }

  succeed(account: string): void {
    this.failures.delete(account);
  }

  private recent(account: string): number[] {
    const since = this.now() - this.opts.windowMs;
    return (this.failures.get(account) ?? []).filter((t) => t > since);
  }
}

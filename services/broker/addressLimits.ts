/**
 * Per-address connection limits, beside the broker's global maximum: how many connections one
 * address may hold open and how fast it may open new ones (a token bucket). Addresses listed as
 * exempt skip both: in the one-host lab the simulator opens one connection per lamp from
 * 127.0.0.1. Idle addresses (nothing open, bucket refilled) are forgotten.
 */
import { type BoundedMap, createBoundedMap } from './boundedMap.ts';

export interface AddressLimitOptions {
  /** Open connections per address; 0: no limit. */
  maxPerAddress: number;
  /** New connections per second per address; 0: no limit. */
  ratePerSec: number;
  burst: number;
  exempt: ReadonlySet<string>;
  maxEntries: number;
}

export type Admission = { ok: true } | { ok: false; reason: 'address_limit'; detail: string };

export interface AddressLimits {
  admit(address: string, nowMs: number): Admission;
  /** A connection admitted for `address` has closed. */
  release(address: string): void;
  readonly size: number;
}

interface AddressState {
  open: number;
  tokens: number;
  last: number;
}

export function createAddressLimits(opts: AddressLimitOptions): AddressLimits {
  const entries: BoundedMap<AddressState> = createBoundedMap(opts.maxEntries);
  const refill = (s: AddressState, now: number) => {
    if (opts.ratePerSec <= 0) return;
    s.tokens = Math.min(
      opts.burst,
      s.tokens + (Math.max(0, now - s.last) * opts.ratePerSec) / 1000,
    );
    s.last = Math.max(s.last, now);
  };
  const idle = (now: number) => (s: AddressState) => {
    refill(s, now);
    return s.open === 0 && (opts.ratePerSec <= 0 || s.tokens >= opts.burst);
  };
  const limited = opts.maxPerAddress > 0 || opts.ratePerSec > 0;
  return {
    admit(address, now) {
      if (!limited || opts.exempt.has(address)) return { ok: true };
      entries.sweep(idle(now));
      const s = entries.get(address) ?? { open: 0, tokens: opts.burst, last: now };
      refill(s, now);
      if (opts.maxPerAddress > 0 && s.open >= opts.maxPerAddress) {
        entries.touch(address, s);
        return { ok: false, reason: 'address_limit', detail: `${s.open} open from ${address}` };
      }
      if (opts.ratePerSec > 0 && s.tokens < 1) {
        entries.touch(address, s);
        return {
          ok: false,
          reason: 'address_limit',
          detail: `more than ${opts.ratePerSec} connects/s from ${address}`,
        };
      }
      if (opts.ratePerSec > 0) s.tokens -= 1;
      s.open++;
      entries.touch(address, s);
      return { ok: true };
    },
    release(address) {
      const s = entries.get(address);
      if (s && s.open > 0) s.open--;
    },
    get size() {
      return entries.size;
    },
  };
}

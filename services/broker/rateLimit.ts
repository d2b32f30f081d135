/**
 * Per-client publish rate limit: a token bucket that lets a message run into debt instead of
 * dropping it. The caller holds the message for the returned delay, which (because aedes reads a
 * client's next packets only after the current ones are handled) pushes back on that client's TCP
 * connection alone. MQTT 3.1.1 has no "slow down" reply, so throttling beats silent loss.
 */
export interface TokenBucket {
  /** Take one token at `nowMs`; returns how long the message must wait, 0 when it may go now. */
  take(nowMs: number): number;
}

/** `ratePerSec` <= 0 means unlimited. */
export function createTokenBucket(ratePerSec: number, burst: number, startMs: number): TokenBucket {
  if (ratePerSec <= 0) return { take: () => 0 };
  let tokens = burst;
  let last = startMs;
  return {
    take(nowMs) {
      tokens = Math.min(burst, tokens + (Math.max(0, nowMs - last) * ratePerSec) / 1000);
      last = Math.max(last, nowMs);
      tokens -= 1;
      return tokens >= 0 ? 0 : (-tokens * 1000) / ratePerSec;
    },
  };
}

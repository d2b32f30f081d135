import { describe, expect, it } from 'vitest';
import { createAddressLimits } from '../../services/broker/addressLimits.ts';
import {
  type AuthThrottleOptions,
  createAuthThrottle,
} from '../../services/broker/authThrottle.ts';
import { createBoundedMap } from '../../services/broker/boundedMap.ts';
import { createWorkGate } from '../../services/broker/workGate.ts';

const options: AuthThrottleOptions = {
  maxFailuresPerAccount: 5,
  maxFailuresPerAddress: 30,
  windowMs: 60_000,
  lockoutMs: 60_000,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
  maxEntries: 1_000,
};

describe('failed-login throttle', () => {
  it('answers each failure later than the last, then locks the account for the cool-down', () => {
    const t = createAuthThrottle(options);
    const delays = Array.from({ length: 5 }, (_, i) => t.fail('10.0.0.1', 'admin', i));
    expect(delays).toEqual([100, 200, 400, 800, 1_600]);
    expect(t.locked('10.0.0.1', 'admin', 10)).toMatch(/account admin locked for 60 s/);
    expect(t.locked('10.0.0.2', 'admin', 10)).toBeDefined(); // another stranger too
    expect(t.locked('10.0.0.1', 'admin', 60_010)).toBeUndefined(); // cool-down over
  });

  it('caps the backoff and locks an address spraying over many accounts', () => {
    const t = createAuthThrottle({ ...options, maxFailuresPerAddress: 10, maxDelayMs: 1_000 });
    const delays = Array.from({ length: 10 }, (_, i) => t.fail('10.0.0.1', `DOLL-${i}`, 0));
    expect(Math.max(...delays)).toBe(1_000);
    expect(t.locked('10.0.0.1', 'DOLL-0099', 1)).toMatch(/address 10.0.0.1 locked/);
    expect(t.locked('10.0.0.2', 'DOLL-0099', 1)).toBeUndefined();
  });

  it('spares an address that logged in to the account before, and forgives after a good login', () => {
    const t = createAuthThrottle(options);
    t.succeed('10.0.0.9', 'gateway');
    for (let i = 0; i < 5; i++) t.fail('10.0.0.1', 'gateway', 0);
    expect(t.locked('10.0.0.1', 'gateway', 1)).toBeDefined();
    expect(t.locked('10.0.0.9', 'gateway', 1)).toBeUndefined();
    t.succeed('10.0.0.9', 'gateway');
    expect(t.locked('10.0.0.1', 'gateway', 1)).toBeUndefined();
  });

  it('forgets failures once the window has passed', () => {
    const t = createAuthThrottle(options);
    for (let i = 0; i < 4; i++) t.fail('10.0.0.1', 'DOLL-0001', 0);
    expect(t.fail('10.0.0.1', 'DOLL-0001', 60_000)).toBe(100); // a new window: first failure
  });

  it('stays bounded after 50,000 distinct attackers, and sweeps them once they are stale', () => {
    const t = createAuthThrottle(options);
    for (let i = 0; i < 50_000; i++)
      t.fail(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, `x-${i}`, i);
    expect(t.size()).toEqual({ addresses: 1_000, accounts: 1_000, trusted: 0 });
    t.fail('10.9.9.9', 'late', 50_000 + 120_001);
    expect(t.size()).toEqual({ addresses: 1, accounts: 1, trusted: 0 });
  });
});

describe('per-address connection limits', () => {
  const limits = (over: Partial<Parameters<typeof createAddressLimits>[0]> = {}) =>
    createAddressLimits({
      maxPerAddress: 2,
      ratePerSec: 1,
      burst: 3,
      exempt: new Set(['127.0.0.1']),
      maxEntries: 1_000,
      ...over,
    });

  it('caps open connections and paces new ones per address; exempt addresses skip both', () => {
    const l = limits();
    expect(l.admit('a', 0).ok).toBe(true);
    expect(l.admit('a', 0).ok).toBe(true);
    expect(l.admit('a', 0)).toMatchObject({ ok: false, detail: '2 open from a' });
    l.release('a');
    expect(l.admit('a', 0).ok).toBe(true); // third token
    l.release('a');
    expect(l.admit('a', 0)).toMatchObject({ ok: false, detail: /connects\/s/ });
    expect(l.admit('a', 1_000).ok).toBe(true); // one token back after a second
    for (let i = 0; i < 100; i++) expect(l.admit('127.0.0.1', 0).ok).toBe(true);
    expect(l.size).toBe(1);
  });

  it('forgets idle addresses and holds at most maxEntries', () => {
    const l = limits({ maxPerAddress: 0 });
    for (let i = 0; i < 10_000; i++) {
      l.admit(`addr-${i}`, i);
      l.release(`addr-${i}`);
    }
    expect(l.size).toBeLessThanOrEqual(1_000);
    l.admit('late', 10_000 + 3_000);
    expect(l.size).toBeLessThanOrEqual(3);
  });
});

describe('bounded map', () => {
  it('evicts the least recently touched beyond its cap', () => {
    const m = createBoundedMap<number>(2);
    m.touch('a', 1);
    m.touch('b', 2);
    m.touch('a', 3);
    m.touch('c', 4);
    expect([m.get('a'), m.get('b'), m.get('c'), m.size]).toEqual([3, undefined, 4, 2]);
  });
});

describe('work gate', () => {
  it('runs at most `concurrency` tasks, queues `queueLimit`, refuses the rest at once', async () => {
    const gate = createWorkGate(1, 1);
    let release = () => {};
    const first = gate.run(() => new Promise<string>((r) => (release = () => r('first'))));
    const second = gate.run(async () => 'second');
    expect(await gate.run(async () => 'third')).toBeUndefined();
    expect(gate.load).toEqual({ running: 1, waiting: 1 });
    release();
    expect(await Promise.all([first, second])).toEqual(['first', 'second']);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import { createTokenBucket } from '../../services/broker/rateLimit.ts';

describe('createTokenBucket', () => {
  it('lets a burst through, then spaces messages at the rate', () => {
    const bucket = createTokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 0]);
    expect(bucket.take(0)).toBeCloseTo(100);
    expect(bucket.take(0)).toBeCloseTo(200);
  });

  it('refills with time, up to the burst', () => {
    const bucket = createTokenBucket(10, 3, 0);
    for (let i = 0; i < 3; i++) bucket.take(0);
    expect(bucket.take(100)).toBe(0);
    expect(bucket.take(100)).toBeGreaterThan(0);
    const idle = createTokenBucket(10, 3, 0);
    expect(idle.take(60_000)).toBe(0);
    expect(idle.take(60_000)).toBe(0);
    expect(idle.take(60_000)).toBe(0);
    expect(idle.take(60_000)).toBeCloseTo(100);
  });

  it('is unlimited at rate 0', () => {
    const bucket = createTokenBucket(0, 1, 0);
    for (let i = 0; i < 1000; i++) expect(bucket.take(0)).toBe(0);
  });

  it('does not refill when the clock steps back', () => {
    const bucket = createTokenBucket(1, 1, 1000);
    expect(bucket.take(1000)).toBe(0);
    expect(bucket.take(500)).toBeGreaterThan(0);
  });
});

describe('createTokenBucket clock steps', () => {
  it('charges exactly one token when the clock steps back', () => {
    const bucket = createTokenBucket(1, 2, 1000);
    expect(bucket.take(1000)).toBe(0);
    expect(bucket.take(0)).toBe(0);
    expect(bucket.take(0)).toBeCloseTo(1000);
  });
});

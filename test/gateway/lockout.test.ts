/** The per-account lockout on a fake clock. */
import { expect, test } from 'vitest';
import { AccountLockout } from '../../services/gateway/auth/lockout.ts';

test('five failures in the window lock the account until the oldest leaves it', () => {
  let t = 1_000_000;
  const l = new AccountLockout({ maxFailures: 5, windowMs: 300_000 }, () => t);
  for (let i = 0; i < 4; i++) {
    l.fail('admin');
    t += 10_000;
  }
  expect(l.lockedForS('admin')).toBe(0);
  l.fail('admin');
  // oldest failure at 1,000,000; it leaves the window at 1,300,000; now 1,040,000
  expect(l.lockedForS('admin')).toBe(260);
  expect(l.lockedForS('someone-else')).toBe(0);
  t = 1_300_001;
  expect(l.lockedForS('admin')).toBe(0);
  l.fail('admin');
  expect(l.lockedForS('admin')).toBeGreaterThan(0);
});

test('a success clears the count; failures spread over time never lock', () => {
  let t = 0;
  const l = new AccountLockout({ maxFailures: 3, windowMs: 60_000 }, () => t);
  l.fail('a');
  l.fail('a');
  l.succeed('a');
  l.fail('a');
  expect(l.lockedForS('a')).toBe(0);
  for (let i = 0; i < 20; i++) {
    t += 30_001;
    l.fail('b');
    expect(l.lockedForS('b')).toBe(0);
  }
});

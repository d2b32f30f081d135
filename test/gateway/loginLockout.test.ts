/**
 * Password guessing against one account from many addresses: the per-address limit alone let
 * 100 guesses for `admin` from ten loopback addresses all be checked. Now the account locks
 * after five, and while it is locked even the right password is refused (no scrypt work).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Harness, PASSWORD, startHarness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    env: {
      GATEWAY_LOGIN_PER_MINUTE: '10',
      GATEWAY_TOKENS_PER_USER: '5',
      GATEWAY_TOKENS_PER_MINUTE: '100',
    },
  });
});
afterAll(async () => {
  await h?.stop();
});

/** POST a login from a given loopback source address. */
function loginFrom(localAddress: string, username: string, password: string): Promise<number> {
  const body = JSON.stringify({ username, password });
  return new Promise((resolve, reject) => {
    const req = request(
      `${h.base}/api/auth/login`,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('100 wrong passwords from ten addresses: five are checked, then the account is locked', async () => {
  const statuses: number[] = [];
  for (let round = 0; round < 10; round++) {
    await Promise.all(
      Array.from({ length: 10 }, async (_, a) => {
        statuses.push(await loginFrom(`127.0.0.${a + 2}`, 'admin', `wrong password ${round}`));
      }),
    );
  }
  expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(95);
  // the right password, from a fresh address, is refused while the lock holds
  expect(await loginFrom('127.0.0.20', 'admin', PASSWORD)).toBe(429);
  // other accounts are not affected
  expect(await loginFrom('127.0.0.21', 'viewer', PASSWORD)).toBe(200);
  // unknown names lock the same way, so the answers do not tell which accounts exist
  const unknown: number[] = [];
  for (let i = 0; i < 7; i++)
    unknown.push(await loginFrom('127.0.0.22', 'nobody-here', 'x'.repeat(12)));
  expect(unknown.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
  expect(unknown.slice(5)).toEqual([429, 429]);
});

test('API tokens: a cap per user', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) {
    const r = await h.api('POST', '/api/tokens', {
      token: h.tokens.viewer,
      body: { name: `t${i}` },
    });
    statuses.push(r.status);
  }
  // the harness issued the viewer one token already: four more reach the cap of five
  expect(statuses.slice(0, 4)).toEqual([201, 201, 201, 201]);
  expect(statuses[4]).toBe(409);
});

test('API tokens: at most so many issued a minute', async () => {
  const other = await startHarness({
    env: { GATEWAY_TOKENS_PER_USER: '1000', GATEWAY_TOKENS_PER_MINUTE: '4' },
  });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await other.api('POST', '/api/tokens', {
        token: other.tokens.operator,
        body: { name: `b${i}` },
      });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([201, 201, 201, 201, 429]);
  } finally {
    await other.stop();
  }
});

import { afterEach, expect, test } from 'vitest';
import { loadGatewayConfig } from '../../services/gateway/config.ts';
import { ConfigError } from '../../shared/config.ts';
import { type Harness, startHarness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** Login attempts from one claimed client address until the limit answers 429 (or 15 tries). */
async function attemptsUntilLimited(base: string, forwardedFor: string): Promise<number> {
  for (let i = 1; i <= 15; i++) {
    const r = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      // a name per client: the per-account lockout is not what is measured here
      body: JSON.stringify({ username: `nobody-${forwardedFor}`, password: 'wrong password' }),
    });
    if (r.status === 429) return i;
    expect(r.status).toBe(401);
  }
  return Number.POSITIVE_INFINITY;
}

test('without GATEWAY_TRUST_PROXY a forged X-Forwarded-For does not open a fresh login limit', async () => {
  h = await startHarness({ env: { GATEWAY_LOGIN_PER_MINUTE: '3' } });
  // One bucket for the socket's address (the harness's own logins already drew on it).
  expect(await attemptsUntilLimited(h.base, '203.0.113.1')).toBeLessThanOrEqual(4);
  expect(await attemptsUntilLimited(h.base, '203.0.113.2')).toBe(1);
});

test('behind a trusted proxy the limit is per client the proxy names', async () => {
  h = await startHarness({
    env: { GATEWAY_LOGIN_PER_MINUTE: '3', GATEWAY_TRUST_PROXY: 'loopback' },
  });
  expect(await attemptsUntilLimited(h.base, '203.0.113.1')).toBe(4);
  expect(await attemptsUntilLimited(h.base, '203.0.113.2')).toBe(4);
});

test('GATEWAY_TRUST_PROXY takes hops and address lists, and refuses true', () => {
  const trust = (v: string) => loadGatewayConfig({ GATEWAY_TRUST_PROXY: v }).GATEWAY_TRUST_PROXY;
  expect(trust('false')).toBe(false);
  expect(trust('')).toBe(false);
  expect(trust('1')).toBe(1);
  expect(trust('loopback, 10.0.0.0/8, fd00::/8')).toBe('loopback, 10.0.0.0/8, fd00::/8');
  for (const bad of ['true', 'everyone', '10.0.0.0/8; rm -rf']) {
    expect(() => trust(bad)).toThrow(ConfigError);
  }
});

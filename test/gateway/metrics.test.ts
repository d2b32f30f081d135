/** The gateway's own /metrics, for Prometheus: counts that move, and the token it wants. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Harness, startHarness } from './harness.ts';

const TOKEN = 'metrics-test-token-0123456789';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { GATEWAY_METRICS_TOKEN: TOKEN } });
});
afterAll(async () => {
  await h?.stop();
});

const scrape = (token?: string) =>
  fetch(`${h.base}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

test('with GATEWAY_METRICS_TOKEN set, /metrics wants it', async () => {
  expect((await scrape()).status).toBe(401);
  expect((await scrape('wrong-token')).status).toBe(401);
  const r = await scrape(TOKEN);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
});

test('requests, refused logins, lamps and MQTT traffic are counted', async () => {
  await h.api('POST', '/api/auth/login', {
    body: { username: 'viewer', password: 'wrong password!' },
  });
  await h.api('GET', '/api/lamps', { token: h.tokens.viewer });
  const text = await (await scrape(TOKEN)).text();
  expect(text).toMatch(
    /gadelys_gateway_http_requests_total\{operation="listLamps",status="200"\} [1-9]/,
  );
  expect(text).toMatch(/gadelys_gateway_login_failures_total\{reason="password"\} [1-9]/);
  expect(text).toMatch(/gadelys_gateway_lamps\{status="unknown"\} \d+/);
  expect(text).toMatch(/gadelys_gateway_mqtt_messages\{result="received"\} \d+/);
  expect(text).toMatch(/gadelys_gateway_websocket_clients 0/);
});

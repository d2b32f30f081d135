/**
 * A store that hangs (influxd stopped with SIGSTOP) must not hang the requests that read it:
 * each read fails after GATEWAY_STORE_TIMEOUT_MS with a 503 that says why, and the gateway
 * answers again as soon as the store does.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createInfluxStore } from '../../shared/storage/influxdb/influxStore.ts';
import type { Store } from '../../shared/storage/port.ts';
import { startInfluxd, type TestInfluxd } from '../helpers/influxd.ts';
import { type Harness, startHarness } from './harness.ts';

let influxd: TestInfluxd;
let store: Store;
let h: Harness;
beforeAll(async () => {
  influxd = await startInfluxd();
  store = await createInfluxStore({ url: influxd.url, database: influxd.database });
  h = await startHarness({ store, env: { GATEWAY_STORE_TIMEOUT_MS: '500' } });
});
afterAll(async () => {
  influxd?.signal('SIGCONT');
  await h?.stop();
  await store?.close();
  await influxd?.stop();
});

const history = () =>
  h.api('GET', '/api/history?field=activePower&bucketMs=600000', { token: h.tokens.viewer });

test('reads of a hung store answer 503 with the reason, then work again', async () => {
  expect((await history()).status).toBe(200);
  influxd.signal('SIGSTOP');
  try {
    const r = await history();
    expect(r.status, r.text).toBe(503);
    expect(r.json).toMatchObject({ code: 'unavailable' });
    expect(r.json.error).toMatch(/did not answer history within 500 ms/);
    const energy = await h.api('GET', '/api/energy', { token: h.tokens.viewer });
    expect(energy.status).toBe(503);
  } finally {
    influxd.signal('SIGCONT');
  }
  expect((await history()).status).toBe(200);
});

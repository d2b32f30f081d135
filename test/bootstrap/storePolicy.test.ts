/**
 * The one start-up policy for the store (shared/bootstrap/store.ts): a store that is down at
 * start does not stop the start, and says what is wrong when used; a gateway on its own refuses
 * the embedded store. Connects to a closed port on 127.0.0.1, hence an integration test.
 */
import { expect, test } from 'vitest';
import { openStore, refuseEmbeddedStore } from '../../shared/bootstrap/store.ts';
import { ConfigError, loadConfig } from '../../shared/config.ts';
import { silentLogger } from '../../shared/log.ts';
import { StoreEnv } from '../../shared/storage/config.ts';
import { StoreError } from '../../shared/storage/port.ts';
import { freePort } from '../helpers/ports.ts';

test('an InfluxDB that is down at start gives a store that starts and answers with the reason', async () => {
  const url = `http://127.0.0.1:${await freePort()}`;
  const config = loadConfig('test', StoreEnv, { STORE: 'influxdb', INFLUX_URL: url });
  const store = await openStore('gateway', config, { log: silentLogger });
  expect(store.kind).toBe('influxdb');
  expect(await store.health()).toMatchObject({ ok: false });
  const read = store.latest({});
  await expect(read).rejects.toBeInstanceOf(StoreError);
  await expect(read).rejects.toMatchObject({
    retryable: true,
    message: expect.stringContaining(url),
  });
  await store.close();
});

test('a gateway on its own refuses DuckDB with the fix; InfluxDB passes', () => {
  const duck = loadConfig('test', StoreEnv, { STORE: 'duckdb', DUCKDB_PATH: '/srv/lab.duckdb' });
  expect(() => refuseEmbeddedStore('gateway', duck)).toThrow(ConfigError);
  expect(() => refuseEmbeddedStore('gateway', duck)).toThrow(
    /STORE=duckdb: the embedded store \(\/srv\/lab\.duckdb\) belongs to the processor's process.*STORE=influxdb.*npm start/s,
  );
  const influx = loadConfig('test', StoreEnv, { STORE: 'influxdb' });
  expect(() => refuseEmbeddedStore('gateway', influx)).not.toThrow();
});

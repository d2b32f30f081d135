import { afterAll, beforeAll } from 'vitest';
import { createInfluxStore } from '../../shared/storage/influxdb/influxStore.ts';
import { startInfluxd, type TestInfluxd } from '../helpers/influxd.ts';
import { rollupContract } from './rollupContract.ts';
import { storeContract } from './storeContract.ts';

let influxd: TestInfluxd;
beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.stop();
});

// A fresh database per test, on one server. The contract's data is at fixed dates: keep every
// resolution forever, so that no retention policy drops it as the calendar moves on
// (influxRetention.test.ts tests the policies).
let n = 0;
const openInflux = () =>
  createInfluxStore({
    url: influxd.url,
    database: `contract_${++n}`,
    retention: { raw: 0, '1m': 0, '1h': 0 },
  });
storeContract('influxdb 1.6 (v1 write transport)', { open: openInflux, encodedWrites: true });
rollupContract('influxdb 1.6 (v1 write transport)', openInflux);

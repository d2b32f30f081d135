/**
 * Retention per resolution on a real InfluxDB 1.6.7: the adapter creates its retention policies
 * at start (idempotently), writes each measurement into its own, reads from there, keeps the
 * time-0 state points where no retention refuses them, and lets a policy drop what is too old
 * without failing the batch. Timestamps are relative to now: retention is about the wall clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxStore } from '../../shared/storage/influxdb/influxStore.ts';
import type { StoredTelemetry } from '../../shared/storage/port.ts';
import { influxQuery, startInfluxd, type TestInfluxd } from '../helpers/influxd.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let influxd: TestInfluxd;
beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.stop();
});

const reading = (lamp: number, ts: number): StoredTelemetry =>
  ({
    lampId: `DOLL-${String(lamp).padStart(4, '0')}`,
    segmentId: 'seg-01',
    vendorId: 'nordlys',
    modelId: 'n-40',
    ts,
    seq: 1,
    actualLevel: 50,
    targetLevel: 50,
    activePower: 20,
    activeEnergy: 1,
  }) as StoredTelemetry;

async function policies(db: string) {
  const [series] = await influxQuery(influxd.url, db, `SHOW RETENTION POLICIES ON "${db}"`);
  return Object.fromEntries(
    (series?.values ?? []).map((v) => [v[0], { duration: v[1], isDefault: v[4] }]),
  );
}

async function count(db: string, rp: string, m: string, field: string): Promise<number> {
  const [series] = await influxQuery(
    influxd.url,
    db,
    `SELECT count("${field}") FROM "${rp}"."${m}"`,
  );
  return Number(series?.values[0]?.[1] ?? 0);
}

describe('InfluxDB 1.x retention policies per resolution', () => {
  it('creates them at start, idempotently, and sets the durations the processor states', async () => {
    const db = 'rp_create';
    const reader = await createInfluxStore({ url: influxd.url, database: db });
    expect(await policies(db)).toEqual({
      autogen: { duration: '0s', isDefault: false },
      raw: { duration: '336h0m0s', isDefault: true },
      rollup_1m: { duration: '2160h0m0s', isDefault: false },
      rollup_1h: { duration: '0s', isDefault: false },
      state: { duration: '0s', isDefault: false },
    });
    // A second reader changes nothing; the processor's retention alters the durations.
    await createInfluxStore({ url: influxd.url, database: db });
    const processor = await createInfluxStore({
      url: influxd.url,
      database: db,
      retention: { raw: 7 * DAY, '1m': 400 * DAY, '1h': 0 },
    });
    const after = await policies(db);
    expect(after.raw).toEqual({ duration: '168h0m0s', isDefault: true });
    expect(after.rollup_1m?.duration).toBe('9600h0m0s');
    // and a reader opened later does not put them back.
    await createInfluxStore({ url: influxd.url, database: db });
    expect((await policies(db)).raw?.duration).toBe('168h0m0s');
    await Promise.all([reader.close(), processor.close()]);
  });

  it('writes and reads each measurement in its policy; state at time 0 survives a short raw retention', async () => {
    const db = 'rp_layout';
    const store = await createInfluxStore({
      url: influxd.url,
      database: db,
      retention: { raw: HOUR, '1m': 2 * HOUR, '1h': 0 },
    });
    const now = Math.floor(Date.now() / 60_000) * 60_000;
    const fresh = [reading(1, now - 120_000), reading(2, now - 60_000)];
    // Two readings older than the raw policy's hour, in the same batch as the fresh ones:
    // InfluxDB drops them and stores the rest; the write succeeds (that is retention).
    await store.writeTelemetry([reading(3, now - 3 * HOUR), ...fresh, reading(4, now - 2 * HOUR)]);
    expect(await count(db, 'raw', 'telemetry', 'activePower')).toBe(2);
    // Unqualified reads (Grafana, the tests' own counts) see raw: it is the default policy.
    const [plain] = await influxQuery(
      influxd.url,
      db,
      'SELECT count("activePower") FROM "telemetry"',
    );
    expect(plain?.values[0]?.[1]).toBe(2);

    await store.writeLastState(fresh);
    await store.writeRollupState({
      '1m': { since: now - HOUR, completeUntil: now - 60_000 },
      '1h': { since: now - HOUR, completeUntil: now - HOUR },
    });
    expect(await count(db, 'state', 'last_state', 'readingTs')).toBe(2);
    expect((await store.lastState({})).map((r) => [r.lampId, r.ts])).toEqual([
      ['DOLL-0001', now - 120_000],
      ['DOLL-0002', now - 60_000],
    ]);
    expect((await store.rollupState())['1m'].completeUntil).toBe(now - 60_000);

    await store.writeEvents([
      { ...reading(1, now), type: 'lampFailure', active: true, seq: 2 } as never,
    ]);
    expect(await count(db, 'autogen', 'event', 'seq')).toBe(1);
    expect(await store.events({ from: now - HOUR, to: now + 1 })).toHaveLength(1);

    const partials = await store.partials({
      source: 'raw',
      from: now - HOUR,
      to: now,
      fields: ['activePower'],
      stats: ['n'],
    });
    expect(partials.reduce((n, r) => n + Number(r.activePower_n), 0)).toBe(2);
    await store.close();
  });
});

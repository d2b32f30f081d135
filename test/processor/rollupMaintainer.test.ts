/**
 * The RollupMaintainer on a real (in-memory DuckDB) store with an injected clock: what the
 * writer stored becomes rollups, rollup state and last-state; retention per resolution comes
 * from the processor's env and deletes what is older.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProcessorConfig, retentionOf } from '../../services/processor/config.ts';
import { RollupMaintainer } from '../../services/processor/rollup/RollupMaintainer.ts';
import { ConfigError } from '../../shared/config.ts';
import { silentLogger } from '../../shared/log.ts';
import { createDuckdbStore } from '../../shared/storage/duckdb/duckdbStore.ts';
import type { Store } from '../../shared/storage/port.ts';
import { allReadings, R0, rollupReading } from '../storage/rollupContract.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function setUp(retention = { raw: 0, '1m': 0, '1h': 0 }) {
  const dir = mkdtempSync(join(tmpdir(), 'gadelys-rollups-'));
  dirs.push(dir);
  const store = await createDuckdbStore({ path: ':memory:' });
  stores.push(store);
  let now = R0 + 3 * HOUR;
  const maintainer = await RollupMaintainer.open(
    store,
    { dir, retention },
    silentLogger,
    () => now,
  );
  return { dir, store, maintainer, setNow: (t: number) => (now = t) };
}

describe('RollupMaintainer', () => {
  it('turns stored batches into rollups, rollup state and last-state', async () => {
    const { dir, store, maintainer } = await setUp();
    const readings = allReadings(); // 2 h 30 min of three lamps
    await store.writeTelemetry(readings);
    maintainer.stored([{ kind: 'telemetry', records: readings }]);
    // Dirty minutes are on disk as soon as they are marked.
    const file = JSON.parse(readFileSync(join(dir, 'rollups.json'), 'utf8'));
    expect(file.minutes).toHaveLength(150);
    // A round computes at most 120 minutes; the next one the rest.
    await maintainer.flush();
    expect((await store.rollupState())['1m'].completeUntil).toBe(R0 + 120 * MIN);
    await maintainer.flush();
    const state = await store.rollupState();
    // The last minute (2:29) is open: its data is not past its end by the grace.
    expect(state['1m']).toEqual({ since: R0, completeUntil: R0 + 149 * MIN });
    expect(state['1h']).toEqual({ since: R0, completeUntil: R0 + 2 * HOUR });
    expect(await store.lastState({})).toEqual([
      rollupReading(0, 449),
      rollupReading(1, 449),
      rollupReading(2, 449),
    ]);
    const hours = await store.partials({
      source: '1h',
      from: R0,
      to: R0 + 3 * HOUR,
      bucketMs: HOUR,
      fields: ['activePower'],
      stats: ['n'],
      count: true,
    });
    expect(hours.map((h) => [h.ts, h.count]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [R0, 180],
      [R0, 180],
      [R0, 180],
      [R0 + HOUR, 180],
      [R0 + HOUR, 180],
      [R0 + HOUR, 180],
    ]);
    // The steady-state tier of each hour, written with it: each lamp-hour's readings as above.
    const tier = await store.steady!({ from: R0, to: R0 + 3 * HOUR });
    expect(
      tier
        .filter((r) => r.level === 'any')
        .map((r) => [r.ts, r.count])
        .sort((a, b) => Number(a[0]) - Number(b[0])),
    ).toEqual(hours.map((h) => [h.ts, h.count]).sort((a, b) => Number(a[0]) - Number(b[0])));
    // At shutdown the open minute is computed too, and stays out of the complete range.
    await maintainer.stop();
    expect(JSON.parse(readFileSync(join(dir, 'rollups.json'), 'utf8')).minutes).toEqual([]);
    expect((await store.rollupState())['1m'].completeUntil).toBe(R0 + 149 * MIN);
  });

  it('deletes raw data and rollups older than their retention', async () => {
    const { store, maintainer, setNow } = await setUp({ raw: DAY, '1m': 2 * DAY, '1h': 0 });
    const readings = allReadings();
    await store.writeTelemetry(readings);
    maintainer.stored([{ kind: 'telemetry', records: readings }]);
    await maintainer.flush();
    const count = async (source: 'raw' | '1m' | '1h') =>
      (
        await store.partials({
          source,
          from: R0,
          to: R0 + 3 * HOUR,
          fields: ['activePower'],
          stats: ['n'],
          count: true,
        })
      ).reduce((n, r) => n + Number(r.count), 0);
    expect(await count('raw')).toBe(3 * 450);
    // A day and an hour later: the first hour of raw data is past its day.
    setNow(R0 + DAY + HOUR);
    await maintainer.flush();
    expect(await count('raw')).toBe(3 * 270);
    expect(await count('1m')).toBe(3 * 450);
    // Retention runs once an hour, not every round.
    setNow(R0 + DAY + 90 * MIN);
    await maintainer.flush();
    expect(await count('raw')).toBe(3 * 270);
    // Two days and two hours on: no raw data left, the minutes of the last half hour.
    setNow(R0 + 2 * DAY + 2 * HOUR);
    await maintainer.flush();
    expect(await count('raw')).toBe(0);
    expect(await count('1m')).toBe(3 * 90);
    // Hourly rollups are kept for good by default: both whole hours still count.
    expect(await count('1h')).toBe(3 * 360);
  });
});

describe('retention config', () => {
  it('defaults to 14 days raw, 90 days of minutes and hours for good, and takes env vars', () => {
    const base = { LAB_SECRET: 'x'.repeat(32) };
    expect(retentionOf(loadProcessorConfig(base))).toEqual({
      raw: 14 * DAY,
      '1m': 90 * DAY,
      '1h': 0,
    });
    const set = loadProcessorConfig({
      ...base,
      RETENTION_RAW_DAYS: '7',
      RETENTION_1M_DAYS: '400',
      RETENTION_1H_DAYS: '3650',
    });
    expect(retentionOf(set)).toEqual({ raw: 7 * DAY, '1m': 400 * DAY, '1h': 3650 * DAY });
    expect(() => loadProcessorConfig({ ...base, RETENTION_RAW_DAYS: '-1' })).toThrow(ConfigError);
    expect(() => loadProcessorConfig({ ...base, RETENTION_1M_DAYS: 'forever' })).toThrow(
      /RETENTION_1M_DAYS/,
    );
  });
});

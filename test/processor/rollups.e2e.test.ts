/**
 * Rollups through the real processor (its own process, our broker), on both stores: a processor
 * SIGKILLed mid-bucket and started again, with duplicated and late readings, leaves exactly the
 * rollups a computation over the unique readings gives, the last-state of every lamp, and a
 * rollup state readers can trust.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tagsOf } from '../../services/processor/ingest.ts';
import type { Telemetry } from '../../shared/contract/telemetry.ts';
import { createDuckdbStore } from '../../shared/storage/duckdb/duckdbStore.ts';
import { createInfluxStore } from '../../shared/storage/influxdb/influxStore.ts';
import type { Store, StoredTelemetry } from '../../shared/storage/port.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';
import { startInfluxd, type TestInfluxd } from '../helpers/influxd.ts';
import { expectedRollups, expectSameRollups, storedRollups } from '../storage/rollupContract.ts';
import {
  connect,
  exitOf,
  processorEnv,
  publishAll,
  spawnProcessor,
  telemetryMessage,
} from './harness.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const STEP = 10_000;
/** 70 minutes of readings every 10 s: one whole hour and ten minutes of the next. */
const STEPS = 70 * 6;

/** Reading k of a lamp, with values that differ from reading to reading. */
function varied(lampId: string, k: number, t0: number): Telemetry {
  return {
    lampId,
    seq: k,
    ts: t0 + k * STEP,
    targetLevel: (k * 7) % 101,
    actualLevel: (k * 3) % 101,
    activePower: 20 + (k % 17) * 1.5,
    activeEnergy: 100 + k * 0.0125,
    supplyVoltage: 225 + (k % 9),
    supplyCurrent: 0.1 + (k % 5) * 0.02,
    powerFactor: 0.9 + (k % 7) * 0.01,
    operatingHours: 4000 + k / 360,
    switchOnCounter: 12 + Math.floor(k / 60),
    gearTemperature: 30 + (k % 11) / 4,
  };
}

interface Backend {
  env: Record<string, string>;
  open(): Promise<Store>;
  stop(): Promise<void>;
}

const backends: [string, () => Promise<Backend>][] = [
  [
    'duckdb',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gadelys-rollup-duckdb-'));
      const path = join(dir, 'lab.duckdb');
      return {
        env: { STORE: 'duckdb', DUCKDB_PATH: path },
        open: () => createDuckdbStore({ path }),
        stop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'influxdb 1.6',
    async () => {
      const influxd: TestInfluxd = await startInfluxd();
      return {
        env: { STORE: 'influxdb', INFLUX_URL: influxd.url, INFLUX_DATABASE: influxd.database },
        open: () => createInfluxStore({ url: influxd.url, database: influxd.database }),
        stop: () => influxd.stop(),
      };
    },
  ],
];

describe.each(backends)('rollups across a processor kill (%s)', (_, makeBackend) => {
  let backend: Backend;
  let broker: TestBroker;
  let publisher: MqttClient;
  let env: Record<string, string>;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    backend = await makeBackend();
    broker = await startTestBroker({
      env: { BROKER_DEVICE_PUBLISH_RATE: '0', BROKER_SERVICE_PUBLISH_RATE: '0' },
    });
    env = processorEnv(broker, { ...backend.env, PROCESSOR_BATCH_SIZE: '200' });
    publisher = await connect(broker, 'simulator');
  });
  afterEach(async () => {
    for (const c of children.splice(0))
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await publisher?.endAsync();
    await broker?.stop();
    await backend?.stop();
    if (env?.SPOOL_DIR) rmSync(env.SPOOL_DIR, { recursive: true, force: true });
  });

  const launch = () => spawnProcessor(env, children);
  /** The processor noted in rollups.json that the store took telemetry up to `ts`. */
  const storedUpTo = (ts: number) =>
    eventually(
      `telemetry up to ${ts} stored`,
      () => {
        const file = join(env.SPOOL_DIR as string, 'rollups.json');
        if (!existsSync(file)) return false;
        return (JSON.parse(readFileSync(file, 'utf8')) as { maxTs: number }).maxTs >= ts;
      },
      { timeoutMs: 30_000 },
    );

  it('leaves the rollups a computation over the unique readings gives', async () => {
    const lamps = broker.registry.segments[0]!.lampIds.slice(0, 6);
    const t0 = Math.floor((Date.now() - 3 * HOUR) / HOUR) * HOUR;
    const readings = (ks: number[]) => ks.flatMap((k) => lamps.map((id) => varied(id, k, t0)));
    const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
    const send = (rs: Telemetry[]) => publishAll(publisher, rs.map(telemetryMessage));
    // Minute 5's third reading is held back to arrive late, after the restart.
    const late = 5 * 6 + 2;

    const first = await launch();
    // Up to 34 min 50 s: minute 34 is open (and not computed) when the processor is killed.
    await send(readings(range(0, 35 * 6).filter((k) => k !== late)));
    await storedUpTo(t0 + (35 * 6 - 1) * STEP);
    first.kill('SIGKILL');
    await exitOf(first);

    // While it is away: duplicates of minutes 10-14, the late reading, the rest of the route.
    await send(readings(range(10 * 6, 15 * 6)));
    await send(readings([late]));
    const second = await launch();
    await send(readings(range(35 * 6, STEPS)));
    await send(readings(range(60 * 6, 62 * 6))); // and duplicates again, across the hour
    await storedUpTo(t0 + (STEPS - 1) * STEP);
    second.kill('SIGTERM');
    expect(await exitOf(second)).toBe(0);

    const unique: StoredTelemetry[] = readings(range(0, STEPS)).map((r) => ({
      ...r,
      ...tagsOf(broker.registry, r.lampId)!,
    }));
    const store = await backend.open();
    try {
      const end = t0 + STEPS * STEP;
      expectSameRollups(await storedRollups(store, '1m', t0, end), expectedRollups(unique, MIN));
      const hour = expectedRollups(
        unique.filter((r) => r.ts < t0 + HOUR),
        HOUR,
      );
      const storedHours = await storedRollups(store, '1h', t0, t0 + HOUR);
      expectSameRollups(storedHours, hour);
      expect(storedHours.size).toBe(lamps.length);
      // Readers may use the first hour from the hourly rollups, and every closed minute.
      const state = await store.rollupState();
      expect(state['1h']).toEqual({ since: t0, completeUntil: t0 + HOUR });
      expect(state['1m'].since).toBe(t0);
      expect(state['1m'].completeUntil).toBe(t0 + 69 * MIN);
      // The newest reading of every lamp, without a history scan.
      const newest = unique.filter((r) => r.seq === STEPS - 1);
      expect(await store.lastState({})).toEqual(
        [...newest].sort((a, b) => (a.lampId < b.lampId ? -1 : 1)),
      );
    } finally {
      await store.close();
    }
  });
});

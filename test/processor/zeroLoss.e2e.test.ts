/**
 * Zero loss, end to end with our broker and a real influxd: the store stopped (SIGKILL) and
 * restarted mid-stream, and the processor itself SIGKILLed and restarted mid-stream. Every
 * reading must be stored exactly once, with its own values.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startProcessor } from '../../services/processor/processor.ts';
import { Journal } from '../../services/processor/spool/Journal.ts';
import { silentLogger } from '../../shared/log.ts';
import type { Registry } from '../../shared/registry/index.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';
import { influxQuery, startInfluxd, type TestInfluxd } from '../helpers/influxd.ts';
import {
  baseTime,
  batchMessages,
  connect,
  exitOf,
  processorConfig,
  processorEnv,
  publishAll,
  reading,
  spawnProcessor,
  telemetryMessage,
} from './harness.ts';

const TICKS_PER_WAVE = 10;

/** Wave w: segment batches for two segments plus per-lamp messages for a third segment's lamps. */
function wave(registry: Registry, w: number, t0: number) {
  const [a, b, c] = registry.segments;
  const from = w * TICKS_PER_WAVE;
  const to = from + TICKS_PER_WAVE;
  const single = c!.lampIds.slice(0, 5);
  const messages = [
    ...batchMessages(registry, a!.id, from, to, t0),
    ...batchMessages(registry, b!.id, from, to, t0),
  ];
  for (let i = from; i < to; i++)
    for (const id of single) messages.push(telemetryMessage(reading(id, i, t0)));
  const readings = (a!.lampIds.length + b!.lampIds.length + single.length) * TICKS_PER_WAVE;
  // activePower = 1000 + i for every reading of tick i
  let powerSum = 0;
  for (let i = from; i < to; i++)
    powerSum += (a!.lampIds.length + b!.lampIds.length + single.length) * (1000 + i);
  return { messages, readings, powerSum };
}

async function storedTotals(influxd: TestInfluxd): Promise<{ count: number; sum: number }> {
  try {
    const rows = await influxQuery(
      influxd.url,
      influxd.database,
      'SELECT count("activePower"), sum("activePower") FROM "telemetry"',
    );
    const v = rows[0]?.values[0];
    return { count: Number(v?.[1] ?? 0), sum: Number(v?.[2] ?? 0) };
  } catch {
    return { count: -1, sum: 0 };
  }
}

describe('zero loss (our broker, influxd 1.6)', () => {
  let influxd: TestInfluxd;
  let broker: TestBroker;
  let publisher: MqttClient;
  let env: Record<string, string>;

  beforeEach(async () => {
    influxd = await startInfluxd();
    broker = await startTestBroker({
      env: { BROKER_DEVICE_PUBLISH_RATE: '0', BROKER_SERVICE_PUBLISH_RATE: '0' },
    });
    env = processorEnv(broker, {
      STORE: 'influxdb',
      INFLUX_URL: influxd.url,
      INFLUX_DATABASE: influxd.database,
      // Small, so that an outage spills to disk and the replay reads it back.
      PROCESSOR_MEMORY_READINGS: '1000',
      PROCESSOR_BATCH_SIZE: '500',
    });
    publisher = await connect(broker, 'simulator');
  });
  afterEach(async () => {
    await publisher?.endAsync();
    await broker?.stop();
    await influxd?.stop();
    if (env?.SPOOL_DIR) rmSync(env.SPOOL_DIR, { recursive: true, force: true });
  });

  it('stores every reading exactly once across an InfluxDB crash and restart', async () => {
    const processor = await startProcessor(processorConfig(env), {
      registry: broker.registry,
      log: silentLogger,
    });
    const t0 = baseTime();
    let expected = 0;
    let expectedSum = 0;
    const send = async (w: number) => {
      const { messages, readings, powerSum } = wave(broker.registry, w, t0);
      await publishAll(publisher, messages);
      expected += readings;
      expectedSum += powerSum;
    };
    for (let w = 0; w < 3; w++) await send(w);
    await influxd.kill({ hard: true });
    for (let w = 3; w < 7; w++) await send(w);
    await eventually('the store seen down', async () => !processor.status().storeUp);
    await eventually(
      'readings spooled to disk',
      async () => processor.status().spoolBytes > 100_000,
    );
    expect(processor.status().memoryReadings).toBeLessThanOrEqual(1000);
    await influxd.restart();
    for (let w = 7; w < 10; w++) await send(w);
    await eventually(
      'every reading in InfluxDB',
      async () => (await storedTotals(influxd)).count >= expected,
      { timeoutMs: 20_000 },
    );
    expect(await processor.drained(20_000)).toBe(true);
    expect(await storedTotals(influxd)).toEqual({ count: expected, sum: expectedSum });
    expect(processor.status()).toMatchObject({ storeUp: true, spoolBytes: 0 });
    await processor.stop();
  });

  it('starts while InfluxDB is down and stores everything once it is up', async () => {
    await influxd.kill({ hard: true });
    const processor = await startProcessor(processorConfig(env), {
      registry: broker.registry,
      log: silentLogger,
    });
    const t0 = baseTime();
    const { messages, readings, powerSum } = wave(broker.registry, 0, t0);
    await publishAll(publisher, messages);
    await eventually('readings spooled to disk', async () => processor.status().spoolBytes > 0);
    await eventually('the store seen down', async () => !processor.status().storeUp);
    await influxd.restart();
    await eventually(
      'every reading in InfluxDB',
      async () => (await storedTotals(influxd)).count >= readings,
      { timeoutMs: 20_000 },
    );
    expect(await storedTotals(influxd)).toEqual({ count: readings, sum: powerSum });
    await processor.stop();
  });

  it('loses nothing when the processor is killed with SIGKILL and restarted', async () => {
    // The first process never writes to the store on its own (no full batch, a long flush
    // interval): everything it acknowledges is only in its journal when it is killed.
    const holdBack = { PROCESSOR_FLUSH_INTERVAL_MS: '60000', PROCESSOR_BATCH_SIZE: '50000' };
    const children: ChildProcess[] = [];
    const launch = (over: Record<string, string> = {}) =>
      spawnProcessor({ ...env, ...over }, children);
    const exited = exitOf;
    try {
      const t0 = baseTime();
      let expected = 0;
      let expectedSum = 0;
      const send = async (w: number) => {
        const { messages, readings, powerSum } = wave(broker.registry, w, t0);
        await publishAll(publisher, messages);
        expected += readings;
        expectedSum += powerSum;
      };
      const first = await launch(holdBack);
      for (let w = 0; w < 4; w++) await send(w);
      // Journaled and acknowledged (some perhaps still in flight), not stored: SIGKILL now.
      await new Promise((r) => setTimeout(r, 200));
      first.kill('SIGKILL');
      await exited(first);
      const journal = Journal.open({
        dir: env.SPOOL_DIR!,
        segmentBytes: 1 << 30,
        memoryReadings: 1,
        fsyncIntervalMs: 1000,
      });
      const pending = journal.pendingBytes;
      journal.close();
      expect(pending).toBeGreaterThan(0);
      expect((await storedTotals(influxd)).count).toBe(0);
      // While it is down the broker queues for its persistent session.
      for (let w = 4; w < 7; w++) await send(w);
      const second = await launch();
      for (let w = 7; w < 10; w++) await send(w);
      await eventually(
        'every reading in InfluxDB',
        async () => (await storedTotals(influxd)).count >= expected,
        { timeoutMs: 20_000 },
      );
      // Let the redeliveries and replays settle, then check nothing is missing or altered.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await storedTotals(influxd)).toEqual({ count: expected, sum: expectedSum });
      second.kill('SIGTERM');
      expect(await exited(second)).toBe(0);
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  });
});

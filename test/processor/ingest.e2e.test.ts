import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProcessor, startProcessor } from '../../services/processor/processor.ts';
import { DeadLetter } from '../../shared/contract/alarms.ts';
import { filters, topics } from '../../shared/contract/topics.ts';
import { createLogger, silentLogger } from '../../shared/log.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';
import {
  baseTime,
  batchMessages,
  connect,
  processorConfig,
  processorEnv,
  publishAll,
  reading,
  telemetryMessage,
} from './harness.ts';

describe('processor end to end (our broker, DuckDB)', () => {
  let broker: TestBroker;
  let processor: RunningProcessor;
  let publisher: MqttClient;
  let watcher: MqttClient;
  let env: Record<string, string>;
  const deadLetters: DeadLetter[] = [];
  const alarms: unknown[] = [];

  beforeAll(async () => {
    broker = await startTestBroker({
      env: { BROKER_DEVICE_PUBLISH_RATE: '0', BROKER_SERVICE_PUBLISH_RATE: '0' },
    });
    env = processorEnv(broker, { STORE: 'duckdb' });
    env.DUCKDB_PATH = join(env.SPOOL_DIR!, 'test.duckdb');
    processor = await startProcessor(processorConfig(env), {
      registry: broker.registry,
      log: process.env.TEST_LOG_LEVEL
        ? createLogger('processor', process.env.TEST_LOG_LEVEL)
        : silentLogger,
    });
    watcher = await connect(broker, 'gateway');
    watcher.on('message', (topic, payload) => {
      if (topic === topics.deadLetter())
        deadLetters.push(DeadLetter.parse(JSON.parse(payload.toString())));
      else alarms.push(JSON.parse(payload.toString()));
    });
    await watcher.subscribeAsync([filters.deadLetter, filters.allAlarms], { qos: 1 });
    publisher = await connect(broker, 'simulator');
  });
  afterAll(async () => {
    await publisher?.endAsync();
    await watcher?.endAsync();
    await processor?.stop();
    await broker?.stop();
    if (env?.SPOOL_DIR) rmSync(env.SPOOL_DIR, { recursive: true, force: true });
  });

  it('stores every valid message once while malformed ones are dead-lettered', async () => {
    const t0 = baseTime();
    const lamps = broker.registry.lamps.slice(0, 5).map((l) => l.id);
    const other = broker.registry.segments[1]!.lampIds[0]!;
    const seg = broker.registry.segments[0]!;
    const malformed = [
      { topic: topics.telemetry(lamps[0]!), payload: 'not json {' },
      {
        topic: topics.telemetry(lamps[0]!),
        payload: JSON.stringify({ ...reading(lamps[0]!, 999, t0), actualLevel: 150 }),
      },
      { topic: topics.telemetry(lamps[1]!), payload: JSON.stringify(reading(lamps[0]!, 998, t0)) },
      {
        topic: topics.telemetry(lamps[1]!),
        payload: JSON.stringify({ ...reading(lamps[1]!, 997, t0), ts: Date.now() + 3_600_000 }),
      },
      // (An oversized payload is not here: our broker refuses it and drops the publisher.)
      {
        topic: topics.batch(seg.id),
        payload: JSON.stringify({
          segmentId: seg.id,
          controllerId: seg.controllerId,
          ts: t0,
          readings: [reading(other, 996, t0)],
        }),
      },
    ];
    const messages = [];
    for (let i = 0; i < 60; i++) {
      for (const id of lamps) messages.push(telemetryMessage(reading(id, i, t0)));
      if (i % 10 === 0) messages.push(malformed[(i / 10) % malformed.length]!);
    }
    messages.push(...batchMessages(broker.registry, seg.id, 100, 120, t0));
    await publishAll(publisher, messages);
    // Replayed (duplicate) delivery of the first 20 messages: stored once.
    await publishAll(publisher, messages.slice(0, 20));
    // The broker acked the publisher; wait until the processor has taken everything in.
    const total = messages.length + 20;
    const taken = async () => {
      const text = await (await fetch(`${processor.metricsUrl}/metrics`)).text();
      const sum = [
        ...text.matchAll(/^gadelys_processor_(?:messages|rejected)_total\{[^}]*\} (\d+)/gm),
      ].reduce((n, m) => n + Number(m[1]), 0);
      return sum >= total;
    };
    await eventually('every message taken in', taken);
    expect(await processor.drained(20_000)).toBe(true);

    const history = await processor.store.history({
      field: 'activePower',
      agg: 'max',
      from: t0,
      to: t0 + 60_000,
      bucketMs: 1000,
      lampIds: lamps,
    });
    expect(history.map((s) => s.lampId)).toEqual(lamps);
    for (const s of history) {
      expect(s.points).toEqual(
        Array.from({ length: 60 }, (_, i) => ({ t: t0 + i * 1000, value: 1000 + i })),
      );
    }
    const batched = await processor.store.history({
      field: 'activePower',
      agg: 'last',
      from: t0 + 100_000,
      to: t0 + 120_000,
      bucketMs: 1000,
      segmentId: seg.id,
    });
    expect(batched).toHaveLength(seg.lampIds.length);
    for (const s of batched) expect(s.points).toHaveLength(20);

    const text = await (await fetch(`${processor.metricsUrl}/metrics`)).text();
    const codes = ['not_json', 'schema', 'topic_mismatch', 'clock_skew', 'unknown_lamp'];
    for (const code of codes) {
      expect(text).toMatch(
        new RegExp(`gadelys_processor_rejected_total\\{code="${code}"\\} [1-9]`),
      );
    }
    const reasons = deadLetters.map((d) => d.reason.split(':')[0]);
    expect(new Set(reasons)).toEqual(new Set(codes));
    expect(deadLetters.find((d) => d.reason.startsWith('schema'))?.path).toBe('actualLevel');
    const health = await fetch(`${processor.metricsUrl}/health`);
    expect(health.status).toBe(200);
  });

  it('raises an alarm, publishes it and stores it', async () => {
    // A lamp of a segment the first test did not touch.
    const lamp = broker.registry.lamps[broker.registry.lamps.length - 1]!;
    const t = Date.now();
    const failed = { ...reading(lamp.id, 0, t), activePower: 0.1 };
    await publishAll(publisher, [telemetryMessage(failed)]);
    const window = { from: t - 60_000, to: Date.now() + 60_000, lampIds: [lamp.id] };
    await eventually(
      'the alarm in the store',
      async () => (await processor.store.alarms(window)).length > 0,
    );
    const stored = await processor.store.alarms(window);
    expect(stored).toMatchObject([
      { alarmId: `lampFailure:${lamp.id}`, state: 'raised', type: 'lampFailure' },
    ]);
    expect(alarms).toContainEqual(
      expect.objectContaining({ alarmId: `lampFailure:${lamp.id}`, state: 'raised' }),
    );
  });

  it('takes its raised alarms back after a restart and clears them when the lamp recovers', async () => {
    const lamp = broker.registry.lamps[broker.registry.lamps.length - 1]!;
    await processor.stop();
    // Same store, spool and client id: a restart.
    processor = await startProcessor(processorConfig(env), {
      registry: broker.registry,
      log: silentLogger,
    });
    expect(processor.alarms.active().map((a) => a.alarmId)).toContain(`lampFailure:${lamp.id}`);
    const t = Date.now();
    await publishAll(publisher, [telemetryMessage(reading(lamp.id, 5, t))]);
    const cleared = (a: unknown) =>
      (a as { alarmId?: string; state?: string }).alarmId === `lampFailure:${lamp.id}` &&
      (a as { state?: string }).state === 'cleared';
    await eventually('the cleared alarm published', async () => alarms.some(cleared));
    const window = { from: t - 60_000, to: Date.now() + 60_000, lampIds: [lamp.id] };
    await eventually('the cleared alarm in the store', async () =>
      (await processor.store.alarms(window)).some((a) => a.state === 'cleared'),
    );
  });
});

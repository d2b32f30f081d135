/**
 * Three processors share the stream on OUR broker (aedes: no `$share`) by partition of the
 * segments (PROCESSOR_PARTITION=i/3): each reading is taken by the one processor that owns its
 * lamp's segment and stored once in a real influxd; a segment's supply loss is one alarm.
 */
import { rmSync } from 'node:fs';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { segmentsOf } from '../../services/processor/partition.ts';
import { type RunningProcessor, startProcessor } from '../../services/processor/processor.ts';
import { type Alarm, filters } from '../../shared/contract/index.ts';
import { silentLogger } from '../../shared/log.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';
import { influxQuery, startInfluxd, type TestInfluxd } from '../helpers/influxd.ts';
import { telemetryTaken } from '../helpers/processorMetrics.ts';
import {
  connect,
  processorConfig,
  processorEnv,
  publishAll,
  reading,
  telemetryMessage,
} from '../processor/harness.ts';

const PARTITIONS = 3;
const PLAN = Array.from({ length: PARTITIONS }, (_, i) => `${i + 1}/${PARTITIONS}`).join(';');
const READINGS_PER_LAMP = 3;
const DARK_SEGMENT = 'seg-03';
let broker: TestBroker;
let influxd: TestInfluxd;
const processors: RunningProcessor[] = [];
const envs: Record<string, string>[] = [];

beforeAll(async () => {
  [broker, influxd] = await Promise.all([
    startTestBroker({ env: { BROKER_DEVICE_PUBLISH_RATE: '0' } }),
    startInfluxd(),
  ]);
  for (let i = 1; i <= PARTITIONS; i++) {
    const env = processorEnv(broker, {
      STORE: 'influxdb',
      INFLUX_URL: influxd.url,
      INFLUX_DATABASE: influxd.database,
      PROCESSOR_PARTITION: `${i}/${PARTITIONS}`,
      PROCESSOR_PARTITION_PLAN: PLAN,
    });
    envs.push(env);
    processors.push(
      await startProcessor(processorConfig(env), { registry: broker.registry, log: silentLogger }),
    );
  }
}, 60_000);
afterAll(async () => {
  for (const p of processors) await p.stop();
  await broker?.stop();
  await influxd?.stop();
  for (const e of envs) rmSync(e.SPOOL_DIR!, { recursive: true, force: true });
});

it('stores every reading exactly once across three partitions and raises one segment alarm', async () => {
  const { registry } = broker;
  const watcher = await mqtt.connectAsync(broker.url, {
    ...broker.credentialsFor('gateway'),
    reconnectPeriod: 0,
    protocolVersion: 4,
  });
  const alarms: Alarm[] = [];
  watcher.on('message', (_t, payload) => alarms.push(JSON.parse(payload.toString()) as Alarm));
  await watcher.subscribeAsync(filters.allAlarms, { qos: 1 });

  const t0 = Date.now() - READINGS_PER_LAMP * 1000;
  const messages = registry.lamps.flatMap((lamp) =>
    Array.from({ length: READINGS_PER_LAMP }, (_, i) => {
      const r = reading(lamp.id, i, t0);
      // The dark segment's lamps lose their supply on their last reading.
      const dark = lamp.segmentId === DARK_SEGMENT && i === READINGS_PER_LAMP - 1;
      return telemetryMessage(dark ? { ...r, supplyVoltage: 0, activePower: 0 } : r);
    }),
  );
  const simulator = await connect(broker, 'simulator');
  await publishAll(simulator, messages);
  await simulator.endAsync();

  await eventually('every reading taken', async () => {
    let sum = 0;
    for (const p of processors) sum += await telemetryTaken(p);
    return sum >= messages.length;
  });
  // Each processor took exactly its own segments' readings: none twice, none lost.
  for (let i = 0; i < PARTITIONS; i++) {
    const own = new Set(segmentsOf({ kind: 'hash', index: i + 1, count: PARTITIONS }, registry));
    const lamps = registry.lamps.filter((l) => own.has(l.segmentId)).length;
    expect(await telemetryTaken(processors[i]!)).toBe(lamps * READINGS_PER_LAMP);
  }
  for (const p of processors) expect(await p.drained(10_000)).toBe(true);
  const stored = async () =>
    (
      await influxQuery(
        influxd.url,
        influxd.database,
        'SELECT count("activePower") FROM "telemetry"',
      )
    )[0]?.values[0]?.[1];
  await eventually('every reading stored', async () => (await stored()) === messages.length);

  await eventually('the segment supply-loss alarm', () =>
    alarms.some((a) => a.type === 'segmentSupplyLoss'),
  );
  const segmentAlarms = alarms.filter((a) => a.type === 'segmentSupplyLoss');
  expect(new Set(segmentAlarms.map((a) => a.alarmId))).toEqual(
    new Set([`segmentSupplyLoss:${DARK_SEGMENT}`]),
  );
  // Raised by one processor only: an alarm tick may re-announce it with a new count, never the
  // same announcement twice (a second processor judging the segment would repeat it).
  expect(segmentAlarms.every((a) => a.state === 'raised')).toBe(true);
  const announcements = segmentAlarms.map((a) => a.detail);
  expect(new Set(announcements).size).toBe(announcements.length);
  await watcher.endAsync();
});

/**
 * Scale-out: two processors in one `$share` group on a real Mosquitto 2 split the stream; each
 * message is taken by exactly one of them, and together they store everything once.
 */
import { rmSync } from 'node:fs';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningProcessor, startProcessor } from '../../services/processor/processor.ts';
import { silentLogger } from '../../shared/log.ts';
import { loadRegistry } from '../../shared/registry/index.ts';
import { eventually } from '../helpers/eventually.ts';
import { influxQuery, startInfluxd, type TestInfluxd } from '../helpers/influxd.ts';
import { type RunningMosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { telemetryTaken } from '../helpers/processorMetrics.ts';
import { baseTime, processorConfig, processorEnv, reading, telemetryMessage } from './harness.ts';

const registry = loadRegistry();
let mosquitto: RunningMosquitto;
let influxd: TestInfluxd;
const processors: RunningProcessor[] = [];
const envs: Record<string, string>[] = [];

beforeAll(async () => {
  [mosquitto, influxd] = await Promise.all([startMosquitto(), startInfluxd()]);
  for (let i = 0; i < 2; i++) {
    const env = processorEnv(
      { url: mosquitto.url },
      {
        STORE: 'influxdb',
        INFLUX_URL: influxd.url,
        INFLUX_DATABASE: influxd.database,
        PROCESSOR_SHARE_GROUP: 'processors',
      },
    );
    envs.push(env);
    processors.push(await startProcessor(processorConfig(env), { registry, log: silentLogger }));
  }
});
afterAll(async () => {
  for (const p of processors) await p.stop();
  await mosquitto?.stop();
  await influxd?.stop();
  for (const e of envs) rmSync(e.SPOOL_DIR!, { recursive: true, force: true });
});

it('splits a stream between two processors of a share group, storing each reading once', async () => {
  const publisher = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 4 });
  const t0 = baseTime();
  const lamps = registry.lamps.slice(0, 20).map((l) => l.id);
  const messages = lamps.flatMap((id) =>
    Array.from({ length: 20 }, (_, i) => telemetryMessage(reading(id, i, t0))),
  );
  await Promise.all(messages.map((m) => publisher.publishAsync(m.topic, m.payload, { qos: 1 })));
  await publisher.endAsync();
  await eventually(
    'every message taken by the two processors',
    async () =>
      (await telemetryTaken(processors[0]!)) + (await telemetryTaken(processors[1]!)) >=
      messages.length,
  );
  const [a, b] = [await telemetryTaken(processors[0]!), await telemetryTaken(processors[1]!)];
  expect(a + b).toBe(messages.length);
  expect(a).toBeGreaterThan(0);
  expect(b).toBeGreaterThan(0);
  for (const p of processors) expect(await p.drained(10_000)).toBe(true);
  const rows = await influxQuery(
    influxd.url,
    influxd.database,
    'SELECT count("activePower") FROM "telemetry"',
  );
  expect(rows[0]?.values[0]?.[1]).toBe(messages.length);
});

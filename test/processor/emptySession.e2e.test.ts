/**
 * A broker may keep a processor's session without its subscriptions (Mosquitto, when the link
 * dropped before the SUBACK): every CONNACK then says the session is present. The processor
 * must subscribe anyway, or it would sit connected and receive nothing.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, expect, it } from 'vitest';
import { type RunningProcessor, startProcessor } from '../../services/processor/processor.ts';
import { silentLogger } from '../../shared/log.ts';
import { loadRegistry } from '../../shared/registry/index.ts';
import { eventually } from '../helpers/eventually.ts';
import { type RunningMosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { baseTime, processorConfig, processorEnv, reading, telemetryMessage } from './harness.ts';

const registry = loadRegistry();
let mosquitto: RunningMosquitto | undefined;
let processor: RunningProcessor | undefined;
let env: Record<string, string> | undefined;
afterAll(async () => {
  await processor?.stop();
  await mosquitto?.stop();
  if (env) rmSync(env.SPOOL_DIR!, { recursive: true, force: true });
});

it('subscribes on a kept session that holds no subscriptions', async () => {
  mosquitto = await startMosquitto();
  env = processorEnv({ url: mosquitto.url }, { STORE: 'duckdb' });
  env.DUCKDB_PATH = join(env.SPOOL_DIR!, 'test.duckdb');
  // The session exists on the broker, without subscriptions.
  const ghost = await mqtt.connectAsync(mosquitto.url, {
    clientId: env.PROCESSOR_CLIENT_ID,
    clean: false,
    protocolVersion: 4,
  });
  await ghost.endAsync();

  processor = await startProcessor(processorConfig(env), { registry, log: silentLogger });
  const lamp = registry.lamps[0]!.id;
  const publisher = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 4 });
  const t0 = baseTime();
  await eventually("the processor's subscription", () => processor!.status().subscribed);
  await publisher.publishAsync(
    telemetryMessage(reading(lamp, 0, t0)).topic,
    telemetryMessage(reading(lamp, 0, t0)).payload,
    { qos: 1 },
  );
  await publisher.endAsync();
  const window = { from: t0 - 1, to: t0 + 1, lampIds: [lamp] };
  const stored = await eventually('the reading in the store', async () => {
    const rows = await processor!.store.history({
      ...window,
      field: 'activePower',
      bucketMs: 1_000,
      agg: 'last',
    });
    return rows.length > 0 && rows;
  });
  expect(stored).toMatchObject([{ lampId: lamp }]);
});

import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../shared/contract/index.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';
import { syntheticRegistry } from './support.ts';

const N = 1_000;
let b: TestBroker;
const lamps: mqtt.MqttClient[] = [];
beforeAll(async () => {
  b = await startTestBroker({ registry: syntheticRegistry(N) });
});
afterAll(async () => {
  for (let i = 0; i < lamps.length; i += 100)
    await Promise.all(lamps.slice(i, i + 100).map((c) => c.endAsync(true)));
  await b.stop();
});

describe('scale', () => {
  it(`holds ${N} concurrent authenticated lamp connections and routes each one's telemetry`, async () => {
    const processor = await mqtt.connectAsync(b.url, {
      ...b.credentialsFor('processor'),
      reconnectPeriod: 0,
    });
    await processor.subscribeAsync('gadelys/v1/lamp/+/telemetry', { qos: 1 });
    const from = new Set<string>();
    processor.on('message', (topic) => from.add(topic.split('/')[3]!));
    const ids = b.registry.lamps.map((l) => l.id);
    expect(ids).toHaveLength(N);
    // Connect in waves of 100 so the test measures the broker, not a SYN flood on loopback.
    for (let i = 0; i < N; i += 100) {
      const wave = await Promise.all(
        ids.slice(i, i + 100).map((id) =>
          mqtt.connectAsync(b.url, {
            ...b.credentialsFor(id),
            reconnectPeriod: 0,
            keepalive: 120,
          }),
        ),
      );
      lamps.push(...wave);
    }
    expect(b.broker.stats().lampsConnected).toBe(N);
    await Promise.all(
      lamps.map((c, i) => c.publishAsync(topics.telemetry(ids[i]!), '{}', { qos: 1 })),
    );
    await eventually(`telemetry from all ${N} lamps`, () => from.size === N);
    expect(lamps.every((c) => c.connected)).toBe(true);
    expect(b.broker.stats().connections.tcp).toBe(N + 1);
    await processor.endAsync();
  });
});

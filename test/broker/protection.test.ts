import { connect as connectTcp } from 'node:net';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { topics } from '../../shared/contract/index.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';
import { closed, collect } from './support.ts';

let b: TestBroker | undefined;
const clients: mqtt.MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await b?.stop();
  b = undefined;
});
const connect = async (broker: TestBroker, id: string) => {
  const c = await mqtt.connectAsync(broker.url, {
    ...broker.credentialsFor(id),
    reconnectPeriod: 0,
  });
  clients.push(c);
  return c;
};

describe('protection', () => {
  it('disconnects only the sender of an oversize packet, before buffering it', async () => {
    b = await startTestBroker({ env: { BROKER_MAX_PACKET_BYTES: '65536' } });
    const processor = await connect(b, 'processor');
    await processor.subscribeAsync('gadelys/v1/lamp/+/telemetry', { qos: 1 });
    const got = collect(processor);
    const bystander = await connect(b, 'DOLL-0002');
    const big = await connect(b, 'DOLL-0001');
    const gone = closed(big);
    big.publish(topics.telemetry('DOLL-0001'), Buffer.alloc(70_000, 0x20), { qos: 0 });
    await gone;
    expect(b.broker.stats().refusals.packet_too_large).toBe(1);
    expect(bystander.connected).toBe(true);
    expect(processor.connected).toBe(true);
    await bystander.publishAsync(topics.telemetry('DOLL-0002'), '{"still":"here"}', { qos: 1 });
    await eventually("the bystander's message", () => got.length === 1);
    expect(got[0]?.payload).toBe('{"still":"here"}');
  });

  it('refuses a packet within the packet limit but beyond the contract payload limit', async () => {
    b = await startTestBroker();
    const lamp = await connect(b, 'DOLL-0001');
    const gone = closed(lamp);
    lamp.publish(topics.telemetry('DOLL-0001'), Buffer.alloc(10_000, 0x20), { qos: 1 });
    await gone;
    expect(b.broker.stats().refusals.payload_too_large).toBe(1);
  });

  it('drops a client sending a malformed packet and nobody else', async () => {
    b = await startTestBroker();
    const bystander = await connect(b, 'DOLL-0002');
    const socket = connectTcp(b.broker.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const ended = new Promise((r) => socket.once('close', r));
    // A PUBREL with reserved flags 0000 instead of 0010 [MQTT-2.2.2-2]: must close the connection.
    socket.write(Buffer.from([0x60, 0x02, 0x00, 0x01]));
    await ended;
    await eventually(
      'protocol error counted',
      () => b!.broker.stats().refusals.protocol_error === 1,
    );
    expect(bystander.connected).toBe(true);
    await bystander.publishAsync(topics.telemetry('DOLL-0002'), '{}', { qos: 1 });
  });

  it('throttles a device beyond its publish rate without losing messages', async () => {
    b = await startTestBroker({
      env: {
        BROKER_DEVICE_PUBLISH_RATE: '20',
        BROKER_DEVICE_PUBLISH_BURST: '5',
        BROKER_RATE_LIMIT_MAX_DELAY_MS: '60000',
      },
    });
    const processor = await connect(b, 'processor');
    await processor.subscribeAsync('gadelys/v1/lamp/+/telemetry', { qos: 1 });
    const got = collect(processor);
    const lamp = await connect(b, 'DOLL-0001');
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        lamp.publishAsync(topics.telemetry('DOLL-0001'), `${i}`, { qos: 1 }),
      ),
    );
    const elapsed = performance.now() - started;
    await eventually('all 25 messages', () => got.length === 25);
    // 5 go at once, the other 20 at 20/s: about one second, never much less.
    expect(elapsed).toBeGreaterThan(900);
    expect(got.map((m) => Number(m.payload))).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('disconnects a device that floods beyond the allowed delay', async () => {
    b = await startTestBroker({
      env: {
        BROKER_DEVICE_PUBLISH_RATE: '10',
        BROKER_DEVICE_PUBLISH_BURST: '5',
        BROKER_RATE_LIMIT_MAX_DELAY_MS: '200',
      },
    });
    const lamp = await connect(b, 'DOLL-0001');
    const gone = closed(lamp);
    for (let i = 0; i < 50; i++) lamp.publish(topics.telemetry('DOLL-0001'), `${i}`, { qos: 0 });
    await gone;
    expect(b.broker.stats().refusals.rate_limited).toBe(1);
  });

  it('turns connections away beyond the maximum', async () => {
    b = await startTestBroker({ env: { BROKER_MAX_CONNECTIONS: '3' } });
    for (const id of ['DOLL-0001', 'DOLL-0002', 'DOLL-0003']) await connect(b, id);
    const fourth = mqtt.connectAsync(b.url, {
      ...b.credentialsFor('DOLL-0004'),
      reconnectPeriod: 0,
    });
    await expect(fourth).rejects.toMatchObject({ code: 3 }); // CONNACK 3: server unavailable
    expect(b.broker.stats().refusals.max_connections).toBe(1);
    await eventually('the refused socket closed', () => b!.broker.stats().connections.tcp === 3);
    expect(clients.every((c) => c.connected)).toBe(true);
  });
});

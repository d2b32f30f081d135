import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LampStatus, topics } from '../../shared/contract/index.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';
import { collect } from './support.ts';

let b: TestBroker;
beforeAll(async () => {
  b = await startTestBroker();
});
afterAll(() => b.stop());

const status = (lampId: string, state: 'online' | 'offline', ts = Date.now()): LampStatus => ({
  lampId,
  state,
  ts,
});

/** A lamp as the contract asks: offline last will, retained online birth message. */
async function lamp(id: string) {
  const client = await mqtt.connectAsync(b.url, {
    ...b.credentialsFor(id),
    reconnectPeriod: 0,
    will: {
      topic: topics.status(id),
      payload: Buffer.from(JSON.stringify(status(id, 'offline'))),
      qos: 1,
      retain: true,
    },
  });
  await client.publishAsync(topics.status(id), JSON.stringify(status(id, 'online')), {
    qos: 1,
    retain: true,
  });
  return client;
}

describe('lamp status', () => {
  it('fires the last will on an abrupt disconnect, retained, and counts lamps online', async () => {
    const gateway = await mqtt.connectAsync(b.url, {
      ...b.credentialsFor('gateway'),
      reconnectPeriod: 0,
    });
    await gateway.subscribeAsync('gadelys/v1/lamp/+/status', { qos: 1 });
    const got = collect(gateway);
    const a = await lamp('DOLL-0010');
    const c = await lamp('DOLL-0011');
    await eventually('two lamps online', () => b.broker.stats().lampsOnline === 2);
    expect(b.broker.stats().lampsConnected).toBe(2);

    a.stream.destroy(); // power cut: no DISCONNECT packet
    await eventually('the will', () =>
      got.some((m) => m.topic === topics.status('DOLL-0010') && m.payload.includes('"offline"')),
    );
    await eventually('one lamp online', () => b.broker.stats().lampsOnline === 1);
    expect(b.broker.stats().lampsConnected).toBe(1);

    // A dashboard connecting later sees the retained offline status.
    const late = await mqtt.connectAsync(b.url, {
      ...b.credentialsFor('gateway'),
      reconnectPeriod: 0,
    });
    const retained = collect(late);
    await late.subscribeAsync(topics.status('DOLL-0010'), { qos: 1 });
    await eventually('retained status', () => retained.length === 1);
    expect(retained[0]).toMatchObject({ retain: true });
    expect(JSON.parse(retained[0]!.payload)).toMatchObject({
      lampId: 'DOLL-0010',
      state: 'offline',
    });

    // A clean DISCONNECT sends no will [MQTT-3.14.4-3]; the lamp says goodbye itself.
    await c.publishAsync(
      topics.status('DOLL-0011'),
      JSON.stringify({ ...status('DOLL-0011', 'offline'), reason: 'shutdown' }),
      { qos: 1, retain: true },
    );
    await c.endAsync();
    await eventually('no lamp online', () => b.broker.stats().lampsOnline === 0);
    await Promise.all([gateway.endAsync(), late.endAsync()]);
  });

  it('counts lamps online from a controller reporting for its lamps', async () => {
    const seg = b.registry.segments[2]!;
    const ctl = await mqtt.connectAsync(b.url, {
      ...b.credentialsFor(seg.controllerId),
      reconnectPeriod: 0,
    });
    const before = b.broker.stats().lampsOnline;
    for (const id of seg.lampIds.slice(0, 3)) {
      await ctl.publishAsync(topics.status(id), JSON.stringify(status(id, 'online')), {
        qos: 1,
        retain: true,
      });
    }
    await eventually('three more lamps online', () => b.broker.stats().lampsOnline === before + 3);
    expect(b.broker.stats().controllersConnected).toBe(1);
    await ctl.endAsync();
  });
});

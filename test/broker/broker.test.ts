import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../shared/contract/index.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually, GiveUp } from '../helpers/eventually.ts';
import { closed, collect, run } from './support.ts';

let b: TestBroker;
const clients: mqtt.MqttClient[] = [];
const connect = async (id: string, url = b.url, extra: mqtt.IClientOptions = {}) => {
  const c = await mqtt.connectAsync(url, {
    ...b.credentialsFor(id),
    reconnectPeriod: 0,
    protocolVersion: 4,
    ...extra,
  });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  b = await startTestBroker();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await b.stop();
});

const A = 'DOLL-0001';
const B = 'DOLL-0002';

describe('broker with authentication and authorization', () => {
  it("delivers a good lamp's publishes to a service", async () => {
    const processor = await connect('processor');
    await processor.subscribeAsync('gadelys/v1/lamp/+/telemetry', { qos: 1 });
    const got = collect(processor);
    const lamp = await connect(A);
    for (let i = 0; i < 5; i++)
      await lamp.publishAsync(topics.telemetry(A), `{"n":${i}}`, { qos: 1 });
    await eventually('five telemetry messages', () => got.length === 5);
    expect(got.map((m) => m.payload)).toEqual([0, 1, 2, 3, 4].map((i) => `{"n":${i}}`));
    expect(b.broker.stats().messagesIn.telemetry).toBeGreaterThanOrEqual(5);
    expect(b.broker.stats().messagesOut.telemetry).toBeGreaterThanOrEqual(5);
  });

  it("refuses a service taking another service's client id (its persistent session)", async () => {
    const id = 'gadelys-processor-under-test';
    const processor = await connect('processor', b.url, { clientId: id, clean: false });
    await processor.endAsync();
    await expect(connect('gateway', b.url, { clientId: id, clean: false })).rejects.toMatchObject({
      code: 2,
    });
    // The processor itself comes back to its session.
    const again = await connect('processor', b.url, { clientId: id, clean: false });
    expect(again.connected).toBe(true);
  });

  it('refuses a wrong password with CONNACK 4 and a missing username with 5 (mqtt.js)', async () => {
    const before = b.broker.stats().refusals;
    const wrong = mqtt.connectAsync(b.url, {
      ...b.credentialsFor(A),
      password: 'wrong',
      reconnectPeriod: 0,
    });
    await expect(wrong).rejects.toMatchObject({ code: 4 });
    const anonymous = mqtt.connectAsync(b.url, { clientId: A, reconnectPeriod: 0 });
    await expect(anonymous).rejects.toMatchObject({ code: 5 });
    const after = b.broker.stats().refusals;
    expect(after.bad_credentials).toBe(before.bad_credentials + 1);
    expect(after.anonymous_refused).toBe(before.anonymous_refused + 1);
  });

  it('refuses a wrong password for mosquitto_pub and delivers its good publish to mosquitto_sub', async () => {
    const port = String(b.broker.port);
    const base = ['-h', '127.0.0.1', '-p', port, '-V', 'mqttv311'];
    const bad = await run('mosquitto_pub', [
      ...base,
      '-i',
      A,
      '-u',
      A,
      '-P',
      'wrong',
      '-t',
      topics.telemetry(A),
      '-m',
      '{}',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/bad user name or password/i);

    const svc = b.credentialsFor('processor');
    const sub = run('mosquitto_sub', [
      ...base,
      '-i',
      svc.clientId,
      '-u',
      svc.username,
      '-P',
      svc.password,
      '-t',
      topics.telemetry(B),
      '-C',
      '1',
      '-W',
      '15',
    ]);
    const lamp = b.credentialsFor(B);
    // mosquitto_sub has no "subscribed" signal on stdout: publish until it has received one.
    let done = false;
    void sub.then(() => {
      done = true;
    });
    await eventually(
      'mosquitto_sub to receive a message',
      async () => {
        const ok = await run('mosquitto_pub', [
          ...base,
          '-i',
          lamp.clientId,
          '-u',
          lamp.username,
          '-P',
          lamp.password,
          '-q',
          '1',
          '-t',
          topics.telemetry(B),
          '-m',
          '{"from":"mosquitto_pub"}',
        ]);
        if (ok.code !== 0) throw new GiveUp(`mosquitto_pub failed: ${ok.stderr}`);
        return done;
      },
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    const result = await sub;
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('{"from":"mosquitto_pub"}');
  });

  it("refuses and counts lamp A publishing on lamp B's topic; B's subscribers never see it", async () => {
    const gateway = await connect('gateway');
    await gateway.subscribeAsync(topics.telemetry(B), { qos: 1 });
    const got = collect(gateway);
    const before = b.broker.stats().refusals.publish_not_allowed;
    const lampA = await connect(A, b.url, { clientId: A });
    const gone = closed(lampA);
    lampA.publish(topics.telemetry(B), '{"spoofed":true}', { qos: 1 });
    await gone; // [MQTT-3.3.5-2]: a 3.1.1 broker closes the connection on an unauthorized publish
    expect(b.broker.stats().refusals.publish_not_allowed).toBe(before + 1);
    const lampB = await connect(B);
    await lampB.publishAsync(topics.telemetry(B), '{"genuine":true}', { qos: 1 });
    await eventually('the genuine message', () => got.length >= 1);
    expect(got.map((m) => m.payload)).toEqual(['{"genuine":true}']);
  });

  it('refuses a lamp subscribing to # (SUBACK 0x80) and keeps it connected', async () => {
    const before = b.broker.stats().refusals.wildcard_not_allowed;
    const lamp = await connect('DOLL-0003');
    const err = await lamp.subscribeAsync('#').catch((e: { packet?: { granted?: number[] } }) => e);
    expect((err as { packet: { granted: number[] } }).packet.granted).toEqual([128]);
    expect(b.broker.stats().refusals.wildcard_not_allowed).toBe(before + 1);
    expect(lamp.connected).toBe(true);
    const granted = await lamp.subscribeAsync(topics.command('DOLL-0003'), { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
  });

  // aedes stores a SUBSCRIBE's whole filter list in a persistent session, refused ones included:
  // they filled the session's offline queue with another lamp's commands (subscribeBatch.ts).
  it("never queues a filter refused in a persistent session's SUBSCRIBE for it offline", async () => {
    const lamp = await connect('DOLL-0004', b.url, { clean: false });
    const granted = await lamp
      .subscribeAsync({
        [topics.command('DOLL-0004')]: { qos: 1 },
        [topics.command('DOLL-0005')]: { qos: 1 },
      })
      .then(
        () => 'no refusal',
        (e: { packet?: { granted?: unknown } }) => e.packet?.granted,
      );
    expect(granted).toEqual([1, 128]);
    await lamp.endAsync();
    const gateway = await connect('gateway');
    await gateway.publishAsync(topics.command('DOLL-0005'), 'not yours', { qos: 1 });
    await gateway.publishAsync(topics.command('DOLL-0004'), 'yours', { qos: 1 });
    const again = mqtt.connect(b.url, {
      ...b.credentialsFor('DOLL-0004'),
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    clients.push(again);
    const got = collect(again);
    // The queue comes back in order: once the lamp's own command is in, nothing came before it.
    await eventually('the queued command', () => got.some((m) => m.payload === 'yours'));
    expect(got.map((m) => m.topic)).toEqual([topics.command('DOLL-0004')]);
  });

  it('refuses # for mosquitto_sub too', async () => {
    const lamp = b.credentialsFor('DOLL-0004');
    const res = await run('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(b.broker.port),
      '-V',
      'mqttv311',
      '-i',
      lamp.clientId,
      '-u',
      lamp.username,
      '-P',
      lamp.password,
      '-t',
      '#',
      '-E',
    ]);
    expect(res.stderr).toMatch(/denied/i);
  });

  it('lets a WebSocket client publish and subscribe', async () => {
    expect(b.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
    const gateway = await connect('gateway', b.wsUrl);
    await gateway.subscribeAsync('gadelys/v1/lamp/+/ack', { qos: 1 });
    const got = collect(gateway);
    const lamp = await connect('DOLL-0005', b.wsUrl);
    await lamp.subscribeAsync(topics.command('DOLL-0005'), { qos: 1 });
    const cmds = collect(lamp);
    await gateway.publishAsync(topics.command('DOLL-0005'), '{"level":40}', { qos: 1 });
    await eventually('command over WebSocket', () => cmds.length === 1);
    await lamp.publishAsync(topics.ack('DOLL-0005'), '{"ok":true}', { qos: 1 });
    await eventually('ack over WebSocket', () => got.length === 1);
    expect(cmds[0]?.payload).toBe('{"level":40}');
    expect(got[0]?.topic).toBe(topics.ack('DOLL-0005'));
    expect(b.broker.stats().connections.ws).toBeGreaterThanOrEqual(2);
  });

  it('serves /metrics and /health', async () => {
    const base = `http://127.0.0.1:${b.broker.metricsPort}`;
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/gadelys_broker_refusals_total\{reason="publish_not_allowed"\} [1-9]/);
    expect(text).toMatch(/gadelys_broker_messages_in_total\{kind="telemetry"\} [1-9]/);
    expect(text).toMatch(/gadelys_broker_connections\{transport="ws"\}/);
    expect(text).toMatch(/gadelys_broker_network_bytes_total\{direction="read"\} [1-9]/);
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
  });
});

/**
 * The simulator against our real broker (aedes with authentication and ACLs on): each lamp or
 * controller logs in with its own derived credentials and speaks only the public contract.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type DecodedMessage, decodeMessage, topics } from '../../shared/contract/index.ts';
import { silentLogger } from '../../shared/log.ts';
import { loadSimulatorConfig } from '../../simulator/config.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/simulator.ts';
import { ConnectError } from '../../simulator/transport.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';

let broker: TestBroker | undefined;
let sim: RunningSimulator | undefined;
let watcher: MqttClient | undefined;

afterEach(async () => {
  await sim?.stop();
  await watcher?.endAsync();
  await broker?.stop();
  sim = undefined;
  watcher = undefined;
  broker = undefined;
});

/** A processor-role client recording every message, decoded with the shared contract. */
async function watch(b: TestBroker) {
  const seen: {
    topic: string;
    payload: string;
    decoded: DecodedMessage | null;
    reason?: string;
  }[] = [];
  const client = await mqtt.connectAsync(b.url, {
    ...b.credentialsFor('processor'),
    protocolVersion: 4,
  });
  client.on('message', (topic, payload) => {
    const d = decodeMessage(topic, payload, { now: Date.now() });
    seen.push({
      topic,
      payload: payload.toString(),
      decoded: d.ok ? d : null,
      ...(d.ok ? {} : { reason: d.reason }),
    });
  });
  await client.subscribeAsync('gadelys/v1/#', { qos: 1 });
  watcher = client;
  return seen;
}

const config = (b: TestBroker, env: Record<string, string>) =>
  loadSimulatorConfig({
    MQTT_URL: b.url,
    SIMULATOR_INTERVAL_MS: '200',
    SIMULATOR_TRAFFIC_PER_HOUR: '0',
    ...env,
  });

describe('simulator over MQTT', () => {
  it('lamp mode: own connections, birth, telemetry, command ramp and acks, garbage, clean shutdown', async () => {
    broker = await startTestBroker();
    const seen = await watch(broker);
    sim = await startSimulator(config(broker, { SIMULATOR_LAMPS: '6' }), {
      registry: broker.registry,
      log: silentLogger,
      labSecret: broker.labSecret,
    });
    expect(sim.stats()).toMatchObject({ lamps: 6, connections: 6, connected: 6 });
    const ids = sim.registry.lamps.map((l) => l.id);
    const ok = (kind: string, lampId: string) =>
      seen.filter(
        (m) =>
          m.decoded?.kind === kind &&
          'lampId' in m.decoded.topic &&
          m.decoded.topic.lampId === lampId,
      );
    await eventually('telemetry from every lamp', () =>
      ids.every((id) => ok('telemetry', id).length >= 2),
    );
    for (const id of ids)
      expect(ok('status', id)[0]!.decoded!.value).toMatchObject({ lampId: id, state: 'online' });
    expect(seen.filter((m) => !m.decoded)).toEqual([]);

    const gateway = await mqtt.connectAsync(broker.url, {
      ...broker.credentialsFor('gateway'),
      protocolVersion: 4,
    });
    const cmd = {
      commandId: 'it-1',
      issuedAt: Date.now(),
      type: 'override',
      level: 25,
      rampMs: 400,
    };
    await gateway.publishAsync(topics.command(ids[0]!), JSON.stringify(cmd), { qos: 1 });
    await eventually('applied ack', () => ok('ack', ids[0]!).length >= 2);
    expect(ok('ack', ids[0]!).map((m) => m.decoded!.value)).toMatchObject([
      { commandId: 'it-1', status: 'accepted' },
      { commandId: 'it-1', status: 'applied', actualLevel: 25 },
    ]);
    await gateway.endAsync();

    sim.injectFault(`garbage:${ids[1]}`);
    const before = seen.length;
    await eventually('garbage', () => seen.slice(before).filter((m) => !m.decoded).length >= 3);
    for (const m of seen.slice(before).filter((x) => !x.decoded))
      expect(m.topic).toBe(topics.telemetry(ids[1]!));

    await sim.stop();
    sim = undefined;
    await eventually('offline statuses', () =>
      ids.every((id) =>
        ok('status', id).some((m) => (m.decoded!.value as { state: string }).state === 'offline'),
      ),
    );
    const offline = ok('status', ids[2]!).at(-1)!.decoded!.value;
    expect(offline).toMatchObject({ state: 'offline', reason: 'shutdown' });
  });

  it('answers commands that reach early lamps while later ones are still connecting', async () => {
    broker = await startTestBroker();
    const seen = await watch(broker);
    const gateway = await mqtt.connectAsync(broker.url, {
      ...broker.credentialsFor('gateway'),
      protocolVersion: 4,
    });
    const first = broker.registry.lamps[0]!.id;
    let n = 0;
    // A command every 10 ms to the first lamp from before the simulator starts until it is up.
    const pump = setInterval(() => {
      const payload = { commandId: `early-${n++}`, issuedAt: Date.now(), type: 'release' };
      void gateway.publishAsync(topics.command(first), JSON.stringify(payload), { qos: 1 });
    }, 10);
    try {
      sim = await startSimulator(
        config(broker, { SIMULATOR_LAMPS: '200', SIMULATOR_CONNECT_CONCURRENCY: '4' }),
        { registry: broker.registry, log: silentLogger, labSecret: broker.labSecret },
      );
    } finally {
      clearInterval(pump);
    }
    const sentBeforeUp = n;
    expect(sentBeforeUp).toBeGreaterThan(5);
    // Every command sent while the fleet was connecting is answered, none lost with a crash.
    await eventually(
      'acks for the early commands',
      () => seen.filter((m) => m.topic === topics.ack(first)).length >= sentBeforeUp - 1,
    );
    await gateway.endAsync();
  });

  it('segment mode: one connection per controller, batches that decode, acks through the controller', async () => {
    broker = await startTestBroker();
    const seen = await watch(broker);
    sim = await startSimulator(
      config(broker, { SIMULATOR_LAMPS: '40', SIMULATOR_MODE: 'segment' }),
      {
        registry: broker.registry,
        log: silentLogger,
        labSecret: broker.labSecret,
      },
    );
    const segments = sim.registry.segments.map((s) => s.id);
    expect(sim.stats()).toMatchObject({
      lamps: 40,
      connections: segments.length,
      connected: segments.length,
    });
    const batches = () => seen.filter((m) => m.decoded?.kind === 'batch');
    await eventually('a batch from every segment', () =>
      segments.every((s) =>
        batches().some((m) => (m.decoded!.value as { segmentId: string }).segmentId === s),
      ),
    );
    const lamps = new Set(
      batches().flatMap((m) =>
        (m.decoded!.value as { readings: { lampId: string }[] }).readings.map((r) => r.lampId),
      ),
    );
    expect(lamps.size).toBe(40);
    expect(seen.filter((m) => !m.decoded)).toEqual([]);

    const gateway = await mqtt.connectAsync(broker.url, {
      ...broker.credentialsFor('gateway'),
      protocolVersion: 4,
    });
    const lampId = sim.registry.lamps[30]!.id;
    await gateway.publishAsync(
      topics.command(lampId),
      JSON.stringify({ commandId: 'it-2', issuedAt: Date.now(), type: 'release' }),
      { qos: 1 },
    );
    await gateway.endAsync();
    await eventually('ack via controller', () =>
      seen.some((m) => m.topic === topics.ack(lampId) && m.payload.includes('"applied"')),
    );
  });

  it('fails fast with the reason when the broker refuses the credentials', async () => {
    broker = await startTestBroker();
    await expect(
      startSimulator(config(broker, { SIMULATOR_LAMPS: '2' }), {
        registry: broker.registry,
        log: silentLogger,
        labSecret: 'wrong',
      }),
    ).rejects.toBeInstanceOf(ConnectError);
  });
});

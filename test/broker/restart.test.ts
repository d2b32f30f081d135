/**
 * Issue #16: a broker restart loses no reading. Lamps publish QoS 1 without pause while a durable
 * subscriber with the processor's session options (fixed client id, clean session off, subscribe
 * only when the session is not present) acknowledges slowly, so the broker holds a backlog for it.
 * The broker is stopped the way SIGTERM stops it (main.ts: stopOnSignal calls stop()) and a new
 * one started on the same port: every reading a lamp had PUBACKed must reach the subscriber, and
 * no lamp's will ("offline") is published for the broker's own shutdown.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { DURABLE_FILTERS } from '../../services/broker/durableSessions.ts';
import { PROCESSOR_FILTERS } from '../../services/processor/processor.ts';
import { topics } from '../../shared/contract/index.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';

const LAMPS = ['DOLL-0001', 'DOLL-0002', 'DOLL-0003', 'DOLL-0004'];
/** Acknowledged readings before the stop, and after the new broker took over. */
const BEFORE = 600;
const AFTER = 600;

describe('broker restart', () => {
  it('registers the same filters the processor subscribes to', () => {
    expect([...DURABLE_FILTERS].sort()).toEqual([...PROCESSOR_FILTERS].sort());
  });

  it('delivers every reading lamps had PUBACKed across a stop and start on the same port', async () => {
    const env = { BROKER_DEVICE_PUBLISH_RATE: '0', BROKER_STOP_DRAIN_MS: '8000' };
    let broker: TestBroker = await startTestBroker({ env });
    const { labSecret, registry } = broker;
    const port = String(broker.broker.port);
    const acked = new Set<string>();
    const received = new Set<string>();
    /** Lamps' wills delivered: a stopping broker ends their sessions, it does not lose them. */
    const wills: string[] = [];
    let running = true;
    const clients: MqttClient[] = [];
    try {
      const creds = broker.credentialsFor('processor');
      const sub = mqtt.connect(broker.url, {
        ...creds,
        clientId: 'gadelys-processor',
        clean: false,
        protocolVersion: 4,
        // The processor's period; lamps come back sooner and publish before it resubscribes.
        reconnectPeriod: 1_000,
        resubscribe: false,
      });
      clients.push(sub);
      // Slow acknowledgements: one per timer turn, so the broker holds a queue for us.
      sub.handleMessage = (packet, callback) => {
        if (packet.topic.endsWith('/status')) wills.push(packet.topic);
        else received.add(String(packet.payload));
        setTimeout(() => callback(), 1);
      };
      let subscribed = false;
      sub.on('connect', (connack) => {
        if (connack.sessionPresent && subscribed) return;
        sub.subscribe(
          Object.fromEntries(PROCESSOR_FILTERS.map((f) => [f, { qos: 1 as const }])),
          (err) => {
            if (!err) subscribed = true;
          },
        );
      });
      await eventually('subscribed', () => subscribed);

      const loops = LAMPS.map(async (id) => {
        const offline = JSON.stringify({ lampId: id, state: 'offline', ts: Date.now() });
        const lamp = mqtt.connect(broker.url, {
          ...broker.credentialsFor(id),
          reconnectPeriod: 50,
          will: { topic: topics.status(id), payload: Buffer.from(offline), qos: 1, retain: true },
        });
        clients.push(lamp);
        for (let seq = 0; running; seq++) {
          const payload = JSON.stringify({ id, seq });
          try {
            await lamp.publishAsync(topics.telemetry(id), payload, { qos: 1 });
            acked.add(payload);
          } catch {
            // Not acknowledged: the lamp may send it again; not counted either way.
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      });

      await eventually('readings before the stop', () => acked.size >= BEFORE);
      const backlog = acked.size - received.size;
      await broker.stop();
      broker = await startTestBroker({ env: { ...env, MQTT_PORT: port }, labSecret, registry });
      const restartedAt = acked.size;
      await eventually('readings after the restart', () => acked.size >= restartedAt + AFTER, {
        timeoutMs: 30_000,
      });
      running = false;
      await Promise.all(loops);
      await eventually(
        'every acknowledged reading delivered',
        () => [...acked].every((p) => received.has(p)),
        { timeoutMs: 30_000 },
      ).catch(() => undefined);
      const missing = [...acked].filter((p) => !received.has(p));
      expect(backlog, 'the subscriber was behind when the broker stopped').toBeGreaterThan(0);
      expect(missing).toEqual([]);
      expect(wills).toEqual([]);
    } finally {
      running = false;
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await broker.stop();
    }
  }, 90_000);
});

import mqtt, { type MqttClient } from 'mqtt';
import { describeForgery, forgedLamps, type SegmentOf } from '../../../shared/auth/deviceRule.ts';
import {
  decodeMessage,
  filters,
  type LampCommand,
  topics,
} from '../../../shared/contract/index.ts';
import type { Logger } from '../../../shared/log.ts';
import type { CommandBook } from '../commands/CommandBook.ts';
import type { LiveView } from './LiveView.ts';

export interface MqttLinkOptions {
  url: string;
  username: string;
  password: string;
  log: Logger;
  now: () => number;
  /** The device rule's registry lookup: which lamps a topic's device may speak for. */
  segmentOf: SegmentOf;
  /** How long start waits for the first connection, ms. */
  connectWaitMs?: number;
}

export interface MqttLink {
  readonly client: MqttClient;
  /** Publish one command payload to many lamps; serialized once. */
  send(command: LampCommand, lampIds: readonly string[]): void;
  /** `rejected` counts every dropped message; `forged` those a device may not speak for. */
  readonly stats: { received: number; rejected: number; forged: number; published: number };
  close(): Promise<void>;
}

const SUBSCRIPTIONS = [
  filters.allTelemetry,
  filters.allBatches,
  filters.allStatus,
  filters.allAcks,
  filters.allAlarms,
];

/**
 * The gateway's MQTT side: feeds the live view and the command tracker, publishes commands.
 * Resolves once subscribed; mqtt.js reconnects on its own afterwards and resubscribes.
 */
export async function connectMqtt(
  opts: MqttLinkOptions,
  sinks: { live: LiveView; tracker: () => CommandBook },
): Promise<MqttLink> {
  const client = mqtt.connect(opts.url, {
    username: opts.username,
    password: opts.password,
    clientId: `gateway-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
  });
  const stats = { received: 0, rejected: 0, forged: 0, published: 0 };
  const warned = new Map<string, number>();
  client.on('message', (topic, payload) => {
    stats.received += 1;
    const m = decodeMessage(topic, payload, { now: opts.now() });
    if (!m.ok) {
      stats.rejected += 1;
      opts.log.debug({ topic, code: m.code, reason: m.reason }, 'message rejected');
      return;
    }
    // Dropped whole, as the processor does, so the live view never shows what is not stored.
    const forged = forgedLamps(m, opts.segmentOf);
    if (forged.length > 0) {
      stats.rejected += 1;
      stats.forged += 1;
      // A forging device is worth a warning, but not one per message: once a minute per topic.
      const t = opts.now();
      if (t - (warned.get(topic) ?? -Infinity) >= 60_000) {
        warned.set(topic, t);
        opts.log.warn(
          { topic, forged: stats.forged, reason: describeForgery(m, forged) },
          'dropped a message a device may not send',
        );
      }
      return;
    }
    switch (m.kind) {
      case 'telemetry':
        sinks.live.telemetry(m.value);
        break;
      case 'batch':
        for (const r of m.value.readings) sinks.live.telemetry(r);
        break;
      case 'status':
        sinks.live.status(m.value);
        break;
      case 'ack':
        sinks.tracker().onAck(m.value);
        break;
      case 'alarm':
        sinks.live.alarm(m.value);
        break;
      default:
        break;
    }
  });
  // While the broker is down mqtt.js fails once per reconnect: log a changed error at once and
  // a repeated one every 30 s.
  let lastError = { text: '', at: 0 };
  client.on('error', (err) => {
    const t = opts.now();
    if (err.message === lastError.text && t - lastError.at < 30_000) return;
    lastError = { text: err.message, at: t };
    opts.log.warn({ err: err.message }, 'mqtt error');
  });
  const subscriptions = Object.fromEntries(
    SUBSCRIPTIONS.map((topic) => [topic, { qos: 1 as const }]),
  );
  // Subscribe on every connect: a clean session after a broker restart has none.
  const subscribed = new Promise<void>((resolve, reject) => {
    client.on('connect', () => {
      client.subscribeAsync(subscriptions).then(
        () => resolve(),
        (err: Error) => opts.log.warn({ err: err.message }, 'mqtt subscribe failed'),
      );
    });
    client.once('error', (err) => {
      // A refused login will not fix itself: fail the start instead of retrying forever.
      if (/not authori[sz]ed|bad user ?name or password/i.test(err.message)) {
        client.end(true);
        reject(err);
      }
    });
  });
  // A broker that is not up yet must not hold the gateway's start: mqtt.js keeps retrying.
  let timer: NodeJS.Timeout | undefined;
  const waited = await Promise.race([
    subscribed.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), opts.connectWaitMs ?? 5_000);
    }),
  ]);
  clearTimeout(timer);
  if (!waited)
    opts.log.warn({ url: opts.url }, 'broker not reachable yet; retrying in the background');
  return {
    client,
    stats,
    send(command, lampIds) {
      const payload = Buffer.from(JSON.stringify(command));
      for (const lampId of lampIds) {
        client.publish(topics.command(lampId), payload, { qos: 1 }, (err) => {
          if (err) opts.log.warn({ err: err.message, lampId }, 'command publish failed');
        });
      }
      stats.published += lampIds.length;
    },
    close: () => client.endAsync().then(() => undefined),
  };
}

/**
 * MQTT connections of the simulated devices: one per lamp (lamp mode) or per segment controller
 * (segment mode), each with its own client id, credentials, birth message and (lamp mode) last
 * will. No per-lamp timers of our own: the engine's single tick decides what to send.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { parseTopic, topics } from '../shared/contract/index.ts';
import type { Logger } from '../shared/log.ts';
import type { Outbound, Simulation } from './Simulation.ts';

export interface TransportOptions {
  url: string;
  sim: Simulation;
  /** Username and password a connection logs in with. */
  credentials: (via: string) => { username: string; password: string };
  keepaliveS: number;
  reconnectMs: number;
  connectConcurrency: number;
  /** Wall clock, injectable for tests. */
  now: () => number;
  log: Logger;
  onCommand: (lampId: string, payload: Buffer) => void;
  /** Told of each publish's outcome: acknowledged by the broker (QoS1 PUBACK, QoS0 written) or not. */
  onPublished?: (out: Outbound, acked: boolean) => void;
}

export interface Transport {
  publish(out: Outbound): boolean;
  connected(): number;
  readonly dropped: number;
  /** Publish the `offline` shutdown statuses, then close every connection. */
  stop(): Promise<void>;
}

/** Thrown when not one device could connect (wrong URL, credentials the broker refuses...). */
export class ConnectError extends Error {
  constructor(
    readonly url: string,
    override readonly cause: Error,
  ) {
    super(`simulator: no device could connect to ${url}: ${cause.message}`);
    this.name = 'ConnectError';
  }
}

/** Open every connection, a wave at a time. Resolves once each has connected or failed once. */
export async function startTransport(opts: TransportOptions): Promise<Transport> {
  const clients = new Map<string, MqttClient>();
  let connectedCount = 0;
  let dropped = 0;
  let firstError: Error | null = null;
  const lampMode = (via: string) =>
    opts.sim.lampsVia(via).length === 1 && opts.sim.lampsVia(via)[0]!.lamp.id === via;

  const open = (via: string) =>
    new Promise<void>((resolve) => {
      const { username, password } = opts.credentials(via);
      const will = lampMode(via) ? opts.sim.lastWill(via, opts.now()) : null;
      const client = mqtt.connect(opts.url, {
        clientId: via,
        username,
        password,
        protocolVersion: 4,
        clean: true,
        keepalive: opts.keepaliveS,
        // Spread reconnects so a broker restart is not met by 10,000 lamps in the same second.
        reconnectPeriod: Math.round(opts.reconnectMs * (1 + Math.random())),
        connectTimeout: 30_000,
        queueQoSZero: false,
        resubscribe: true,
        ...(will
          ? {
              will: {
                topic: will.topic,
                payload: Buffer.from(will.payload),
                qos: 1 as const,
                retain: true,
              },
            }
          : {}),
      });
      clients.set(via, client);
      let settled = false;
      let up = false;
      const settle = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      client.on('connect', () => {
        if (!up) connectedCount++;
        up = true;
        const lamps = opts.sim.lampsVia(via);
        client.subscribe(
          lamps.map((s) => topics.command(s.lamp.id)),
          { qos: 1 },
          (err) => err && opts.log.warn({ via, err: err.message }, 'subscribe failed'),
        );
        for (const o of opts.sim.birth(via, opts.now()))
          client.publish(o.topic, o.payload, { qos: o.qos, retain: o.retain });
        settle();
      });
      client.on('close', () => {
        if (up) connectedCount--;
        up = false;
      });
      client.on('error', (err) => {
        firstError ??= err;
        opts.log.debug({ via, err: err.message }, 'connection error');
        settle();
      });
      client.on('message', (topic, payload) => {
        const parsed = parseTopic(topic);
        if (parsed?.kind === 'cmd') opts.onCommand(parsed.lampId, payload);
      });
      // A refused CONNACK emits error; an unreachable broker only closes: settle on the first close.
      client.once('close', settle);
    });

  const vias = opts.sim.connections();
  for (let i = 0; i < vias.length; i += opts.connectConcurrency) {
    await Promise.all(vias.slice(i, i + opts.connectConcurrency).map(open));
    if (i === 0 && connectedCount === 0) {
      for (const c of clients.values()) c.end(true);
      throw new ConnectError(opts.url, firstError ?? new Error('connection closed'));
    }
  }

  return {
    publish(out) {
      const client = clients.get(out.via);
      // No offline queue: a lamp without a connection drops its reading, as a real node would
      // (10,000 queues growing during an outage would exhaust memory).
      if (!client?.connected) {
        dropped++;
        return false;
      }
      const told = opts.onPublished;
      client.publish(
        out.topic,
        out.payload,
        { qos: out.qos, retain: out.retain },
        told ? (err) => told(out, !err) : undefined,
      );
      return true;
    },
    connected: () => connectedCount,
    get dropped() {
      return dropped;
    },
    async stop() {
      const now = opts.now();
      await Promise.all(
        [...clients].map(
          ([via, client]) =>
            new Promise<void>((resolve) => {
              if (client.connected) {
                for (const o of opts.sim.shutdown(via, now))
                  client.publish(o.topic, o.payload, { qos: o.qos, retain: o.retain });
              }
              // Not forced: lets the offline statuses flush before DISCONNECT (which drops the will).
              client.end(!client.connected, {}, () => resolve());
            }),
        ),
      );
      connectedCount = 0;
    },
  };
}

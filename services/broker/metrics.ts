import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { REFUSAL_REASONS, type RefusalReason } from './policy.ts';

export type Transport = 'tcp' | 'tls' | 'ws';

/** Figures the broker reads from live state at scrape time. */
export interface LiveFigures {
  connections: Record<Transport, number>;
  clients: number;
  lampsConnected: number;
  controllersConnected: number;
  servicesConnected: number;
  lampsOnline: number;
  /** Bytes read and written by sockets still open (closed ones are added to the totals). */
  openSocketBytes: { read: number; written: number };
}

export interface BrokerStats extends Omit<LiveFigures, 'openSocketBytes'> {
  messagesIn: Record<string, number>;
  messagesOut: Record<string, number>;
  payloadBytesIn: Record<string, number>;
  payloadBytesOut: Record<string, number>;
  networkBytesRead: number;
  networkBytesWritten: number;
  refusals: Record<RefusalReason, number>;
}

export interface BrokerMetrics {
  messageIn(kind: string, payloadBytes: number): void;
  messageOut(kind: string, payloadBytes: number): void;
  refusal(reason: RefusalReason): void;
  socketClosed(read: number, written: number): void;
  stats(): BrokerStats;
  readonly registry: Registry;
}

const add = (map: Record<string, number>, key: string, by: number) => {
  map[key] = (map[key] ?? 0) + by;
};

/**
 * Hot-path counting is plain arithmetic on objects; prom-client only sees the totals at scrape
 * time (label lookups on every delivery cost several percent of broker throughput).
 */
export function createBrokerMetrics(live: () => LiveFigures): BrokerMetrics {
  const messagesIn: Record<string, number> = {};
  const messagesOut: Record<string, number> = {};
  const payloadBytesIn: Record<string, number> = {};
  const payloadBytesOut: Record<string, number> = {};
  const refusals = Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<
    RefusalReason,
    number
  >;
  let closedRead = 0;
  let closedWritten = 0;

  const stats = (): BrokerStats => {
    const { openSocketBytes, ...rest } = live();
    return {
      ...rest,
      connections: { ...rest.connections },
      messagesIn: { ...messagesIn },
      messagesOut: { ...messagesOut },
      payloadBytesIn: { ...payloadBytesIn },
      payloadBytesOut: { ...payloadBytesOut },
      networkBytesRead: closedRead + openSocketBytes.read,
      networkBytesWritten: closedWritten + openSocketBytes.written,
      refusals: { ...refusals },
    };
  };

  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gadelys_broker_' });
  const counterFrom = (
    name: string,
    help: string,
    label: string,
    read: () => Record<string, number>,
  ) =>
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      collect() {
        this.reset();
        for (const [key, value] of Object.entries(read())) this.inc({ [label]: key }, value);
      },
    });
  counterFrom(
    'gadelys_broker_messages_in_total',
    'PUBLISH packets accepted from clients, by message kind',
    'kind',
    () => messagesIn,
  );
  counterFrom(
    'gadelys_broker_messages_out_total',
    'PUBLISH packets delivered to subscribers, by message kind',
    'kind',
    () => messagesOut,
  );
  counterFrom(
    'gadelys_broker_payload_bytes_in_total',
    'Payload bytes accepted, by message kind',
    'kind',
    () => payloadBytesIn,
  );
  counterFrom(
    'gadelys_broker_payload_bytes_out_total',
    'Payload bytes delivered, by message kind',
    'kind',
    () => payloadBytesOut,
  );
  counterFrom(
    'gadelys_broker_refusals_total',
    'Connections, publishes and subscriptions refused, by reason',
    'reason',
    () => refusals,
  );
  new Counter({
    name: 'gadelys_broker_network_bytes_total',
    help: 'Bytes on client sockets (all transports), by direction',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      const s = stats();
      this.reset();
      this.inc({ direction: 'read' }, s.networkBytesRead);
      this.inc({ direction: 'written' }, s.networkBytesWritten);
    },
  });
  new Gauge({
    name: 'gadelys_broker_connections',
    help: 'Open client connections, by transport',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      for (const [transport, n] of Object.entries(live().connections)) this.set({ transport }, n);
    },
  });
  const gauge = (name: string, help: string, read: (f: LiveFigures) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(live()));
      },
    });
  gauge('gadelys_broker_clients', 'MQTT sessions past CONNACK', (f) => f.clients);
  gauge('gadelys_broker_lamps_connected', 'Lamps connected directly', (f) => f.lampsConnected);
  gauge(
    'gadelys_broker_controllers_connected',
    'Segment controllers connected',
    (f) => f.controllersConnected,
  );
  gauge(
    'gadelys_broker_services_connected',
    'Service-account sessions',
    (f) => f.servicesConnected,
  );
  gauge(
    'gadelys_broker_lamps_online',
    'Lamps whose latest status message says online',
    (f) => f.lampsOnline,
  );

  return {
    messageIn(kind, bytes) {
      add(messagesIn, kind, 1);
      add(payloadBytesIn, kind, bytes);
    },
    messageOut(kind, bytes) {
      add(messagesOut, kind, 1);
      add(payloadBytesOut, kind, bytes);
    },
    refusal(reason) {
      refusals[reason] += 1;
    },
    socketClosed(read, written) {
      closedRead += read;
      closedWritten += written;
    },
    stats,
    registry,
  };
}

import { SCHEMAS } from './decode.ts';
import { EXAMPLES } from './examples.ts';
import { toJsonSchema } from './jsonSchema.ts';
import { LIMITS } from './limits.ts';
import type { MessageKind } from './topics.ts';
import { TOPIC_ROOT } from './topics.ts';

const MESSAGE_NAMES: Record<MessageKind, string> = {
  telemetry: 'Telemetry',
  batch: 'SegmentBatch',
  status: 'LampStatus',
  event: 'LampEvent',
  cmd: 'LampCommand',
  ack: 'CommandAck',
  alarm: 'Alarm',
  deadletter: 'DeadLetter',
};

interface ChannelSpec {
  kind: MessageKind;
  address: string;
  /** From the platform's point of view: `receive` what lamps send, `send` what it sends. */
  action: 'send' | 'receive';
  description: string;
  retained?: boolean;
}

const ID_PARAM = {
  description: 'Lamp id from the registry, e.g. DOLL-0042 (letters, digits, ".", "_", "-").',
};

const CHANNELS: Record<string, ChannelSpec> = {
  lampTelemetry: {
    kind: 'telemetry',
    address: `${TOPIC_ROOT}/lamp/{lampId}/telemetry`,
    action: 'receive',
    description: 'Periodic readings of one lamp post, QoS 1.',
  },
  segmentTelemetry: {
    kind: 'batch',
    address: `${TOPIC_ROOT}/segment/{segmentId}/telemetry`,
    action: 'receive',
    description: "A segment controller's batch of readings for its lamps, QoS 1 (the fast path).",
  },
  lampStatus: {
    kind: 'status',
    address: `${TOPIC_ROOT}/lamp/{lampId}/status`,
    action: 'receive',
    description: 'Retained. Birth message on connect; the offline last will is set at connect.',
    retained: true,
  },
  lampEvent: {
    kind: 'event',
    address: `${TOPIC_ROOT}/lamp/{lampId}/event`,
    action: 'receive',
    description: 'TALQ LampMonitor events, raised (active=true) and cleared (active=false).',
  },
  lampCommand: {
    kind: 'cmd',
    address: `${TOPIC_ROOT}/lamp/{lampId}/cmd`,
    action: 'send',
    description:
      'Commands to one lamp, QoS 1. An override replaces the previous one; release returns to the program.',
  },
  lampAck: {
    kind: 'ack',
    address: `${TOPIC_ROOT}/lamp/{lampId}/ack`,
    action: 'receive',
    description:
      'Acknowledgements: accepted, rejected with a reason, applied with the actual level.',
  },
  alarm: {
    kind: 'alarm',
    address: `${TOPIC_ROOT}/alarm/{alarmType}`,
    action: 'send',
    description: 'Alarms raised and cleared by the processor.',
  },
  deadLetter: {
    kind: 'deadletter',
    address: `${TOPIC_ROOT}/deadletter`,
    action: 'send',
    description:
      'Messages the processor rejected, each with the reason and the start of its payload (a burst beyond its per-second cap is counted, not published).',
  },
};

function parametersOf(address: string): Record<string, { description: string }> | undefined {
  const names = [...address.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  if (names.length === 0) return undefined;
  return Object.fromEntries(
    names.map((n) => [
      n,
      n === 'lampId' ? ID_PARAM : { description: `${n} (letters, digits, ".", "_", "-")` },
    ]),
  );
}

/** The AsyncAPI 3 document of the MQTT contract, built from the zod schemas and the examples. */
export function buildAsyncApi(version: string): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const [id, spec] of Object.entries(CHANNELS)) {
    const message = MESSAGE_NAMES[spec.kind];
    const parameters = parametersOf(spec.address);
    channels[id] = {
      address: spec.address,
      description: spec.description,
      ...(parameters ? { parameters } : {}),
      messages: { [message]: { $ref: `#/components/messages/${message}` } },
    };
    operations[`${spec.action}${id[0]!.toUpperCase()}${id.slice(1)}`] = {
      action: spec.action,
      channel: { $ref: `#/channels/${id}` },
      messages: [{ $ref: `#/channels/${id}/messages/${message}` }],
      bindings: { mqtt: { qos: 1, retain: spec.retained === true } },
    };
  }
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const kind of Object.keys(MESSAGE_NAMES) as MessageKind[]) {
    const name = MESSAGE_NAMES[kind];
    schemas[name] = toJsonSchema(SCHEMAS[kind]);
    messages[name] = {
      name,
      contentType: 'application/json',
      payload: { $ref: `#/components/schemas/${name}` },
      examples: EXAMPLES[kind].map((e) => ({
        name: e.name,
        summary: e.summary,
        payload: e.payload,
      })),
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'gadelys MQTT contract',
      version,
      description: [
        'Every message between lamp posts, segment controllers and the gadelys services.',
        'Generated from the zod schemas in shared/contract by `npm run docs:asyncapi`; do not edit by hand.',
        '',
        `Limits every consumer enforces: payloads at most ${LIMITS.maxPayloadBytes} bytes`,
        `(segment batches ${LIMITS.maxBatchPayloadBytes} bytes, at most ${LIMITS.maxBatchReadings} readings);`,
        `device timestamps (epoch ms) at most ${LIMITS.maxFutureSkewMs / 60_000} min ahead of the receiver`,
        `and ${LIMITS.maxPastSkewMs / 86_400_000} days behind; ids at most ${LIMITS.maxIdLength} characters`,
        `of [A-Za-z0-9._-]; free text at most ${LIMITS.maxTextLength} characters; unknown fields are rejected.`,
      ].join('\n'),
    },
    defaultContentType: 'application/json',
    servers: {
      lab: {
        host: '127.0.0.1:1883',
        protocol: 'mqtt',
        protocolVersion: '3.1.1',
        description:
          'The built-in broker of `npm start`. Every client authenticates (username and password).',
      },
    },
    channels,
    operations,
    components: { messages, schemas },
  };
}

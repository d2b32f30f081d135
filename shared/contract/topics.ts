import { ID_PATTERN } from './common.ts';
import { LIMITS } from './limits.ts';

/** Versioned root of every topic. A breaking change to the contract moves to `gadelys/v2`. */
export const TOPIC_ROOT = 'gadelys/v1';

/** Per-lamp message kinds, the last level of `gadelys/v1/lamp/{lampId}/{kind}`. */
export const LAMP_TOPIC_KINDS = ['telemetry', 'status', 'event', 'cmd', 'ack'] as const;
export type LampTopicKind = (typeof LAMP_TOPIC_KINDS)[number];

/** Everything a topic can carry, as decode() names it. */
export type MessageKind = LampTopicKind | 'batch' | 'alarm' | 'deadletter';

export type ParsedTopic =
  | { kind: LampTopicKind; lampId: string }
  | { kind: 'batch'; segmentId: string }
  | { kind: 'alarm'; alarmType: string }
  | { kind: 'deadletter' };

/** Thrown when an id cannot become a topic level; carries the offending id. */
export class TopicIdError extends Error {
  constructor(
    readonly id: string,
    readonly role: string,
  ) {
    super(`${role} id ${JSON.stringify(id.slice(0, 80))} cannot be a topic level`);
    this.name = 'TopicIdError';
  }
}

export function isValidId(id: string): boolean {
  return id.length > 0 && id.length <= LIMITS.maxIdLength && ID_PATTERN.test(id);
}

function level(id: string, role: string): string {
  if (!isValidId(id)) throw new TopicIdError(id, role);
  return id;
}

export const topics = {
  telemetry: (lampId: string) => `${TOPIC_ROOT}/lamp/${level(lampId, 'lamp')}/telemetry`,
  status: (lampId: string) => `${TOPIC_ROOT}/lamp/${level(lampId, 'lamp')}/status`,
  event: (lampId: string) => `${TOPIC_ROOT}/lamp/${level(lampId, 'lamp')}/event`,
  command: (lampId: string) => `${TOPIC_ROOT}/lamp/${level(lampId, 'lamp')}/cmd`,
  ack: (lampId: string) => `${TOPIC_ROOT}/lamp/${level(lampId, 'lamp')}/ack`,
  batch: (segmentId: string) => `${TOPIC_ROOT}/segment/${level(segmentId, 'segment')}/telemetry`,
  alarm: (alarmType: string) => `${TOPIC_ROOT}/alarm/${level(alarmType, 'alarm type')}`,
  deadLetter: () => `${TOPIC_ROOT}/deadletter`,
} as const;

/** Subscription filters for services (lamps never get wildcards). */
export const filters = {
  allTelemetry: `${TOPIC_ROOT}/lamp/+/telemetry`,
  allStatus: `${TOPIC_ROOT}/lamp/+/status`,
  allEvents: `${TOPIC_ROOT}/lamp/+/event`,
  allCommands: `${TOPIC_ROOT}/lamp/+/cmd`,
  allAcks: `${TOPIC_ROOT}/lamp/+/ack`,
  allBatches: `${TOPIC_ROOT}/segment/+/telemetry`,
  allAlarms: `${TOPIC_ROOT}/alarm/+`,
  deadLetter: `${TOPIC_ROOT}/deadletter`,
  everything: `${TOPIC_ROOT}/#`,
} as const;

/** Prefix a filter for a shared subscription (`$share/<group>/<filter>`, MQTT 5 / Mosquitto 2). */
export function sharedFilter(group: string, filter: string): string {
  return `$share/${level(group, 'share group')}/${filter}`;
}

/** Parse a concrete topic (no wildcards). Returns null for anything outside the contract. */
export function parseTopic(topic: string): ParsedTopic | null {
  if (!topic.startsWith(`${TOPIC_ROOT}/`)) return null;
  const parts = topic.slice(TOPIC_ROOT.length + 1).split('/');
  const [area, id, kind] = parts;
  if (area === 'lamp' && parts.length === 3 && id !== undefined && isValidId(id)) {
    const k = LAMP_TOPIC_KINDS.find((x) => x === kind);
    return k ? { kind: k, lampId: id } : null;
  }
  if (area === 'segment' && parts.length === 3 && kind === 'telemetry' && id && isValidId(id)) {
    return { kind: 'batch', segmentId: id };
  }
  if (area === 'alarm' && parts.length === 2 && id !== undefined && isValidId(id)) {
    return { kind: 'alarm', alarmType: id };
  }
  if (area === 'deadletter' && parts.length === 1) return { kind: 'deadletter' };
  return null;
}

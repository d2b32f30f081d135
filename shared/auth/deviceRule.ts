/**
 * Which lamps a device may speak for: a lamp for itself, a segment controller for the lamps of
 * its own segment (per the registry). One rule for everyone who hears a device: the broker
 * decides with it who may publish on a topic, and the consumers (processor, gateway) check each
 * payload with it. Consumers never learn who published; they rely on the broker having refused
 * every topic its publisher may not use, so a topic names its speaker: a lamp topic is that
 * lamp's, a segment's telemetry topic is that segment's controller's.
 */
import type { DecodedMessage } from '../contract/decode.ts';
import type { ParsedTopic } from '../contract/topics.ts';
import type { Registry } from '../registry/index.ts';

export type Speaker = { kind: 'lamp'; lampId: string } | { kind: 'controller'; segmentId: string };

/** The registry lookup the rule needs: the segment of a lamp, undefined for a lamp it lacks. */
export type SegmentOf = (lampId: string) => string | undefined;

export const segmentLookup =
  (registry: Pick<Registry, 'lamp'>): SegmentOf =>
  (lampId) =>
    registry.lamp(lampId)?.segmentId;

export function maySpeakFor(speaker: Speaker, lampId: string, segmentOf: SegmentOf): boolean {
  if (speaker.kind === 'lamp') return speaker.lampId === lampId;
  return segmentOf(lampId) === speaker.segmentId;
}

/** The device a topic belongs to; undefined for the services' topics (commands, alarms, dead letters). */
export function speakerOf(topic: ParsedTopic): Speaker | undefined {
  switch (topic.kind) {
    case 'batch':
      return { kind: 'controller', segmentId: topic.segmentId };
    case 'telemetry':
    case 'status':
    case 'event':
    case 'ack':
      return { kind: 'lamp', lampId: topic.lampId };
    default:
      return undefined;
  }
}

/** The lamps a decoded message carries data of (none for service messages). */
function lampsOf(message: DecodedMessage): string[] {
  switch (message.kind) {
    case 'batch':
      return message.value.readings.map((r) => r.lampId);
    case 'telemetry':
    case 'status':
    case 'event':
    case 'ack':
      return [message.value.lampId];
    default:
      return [];
  }
}

/**
 * The lamps in a message that its topic's device may not speak for, each once, in payload
 * order; empty when the message is fine. A consumer drops a message with any: a batch is taken
 * whole or not at all, so the processor's store and the gateway's live view hold the same data.
 */
export function forgedLamps(message: DecodedMessage, segmentOf: SegmentOf): string[] {
  const speaker = speakerOf(message.topic);
  if (!speaker) return [];
  const forged = new Set<string>();
  for (const lampId of lampsOf(message)) {
    if (!maySpeakFor(speaker, lampId, segmentOf)) forged.add(lampId);
  }
  return [...forged];
}

/** What a consumer logs and dead-letters for a forged message: who may not speak for whom. */
export function describeForgery(message: DecodedMessage, forged: readonly string[]): string {
  const speaker = speakerOf(message.topic);
  const who =
    speaker?.kind === 'controller'
      ? `the controller of ${speaker.segmentId}`
      : `lamp ${speaker?.lampId ?? '?'}`;
  const shown = forged.slice(0, 5).join(', ');
  const more = forged.length > 5 ? ` and ${forged.length - 5} more` : '';
  return `${who} may not speak for ${shown}${more}`;
}

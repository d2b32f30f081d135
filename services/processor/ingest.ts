/**
 * From an MQTT message to what the processor keeps: decode with the shared contract, check the
 * lamps against the registry, add the stored tags. Pure: no I/O, the clock is passed in.
 */
import type { DeadLetter } from '../../shared/contract/alarms.ts';
import { type DecodedMessage, deadLetterFor, decodeMessage } from '../../shared/contract/decode.ts';
import { LIMITS } from '../../shared/contract/limits.ts';
import type { Registry } from '../../shared/registry/index.ts';
import type { LampTags } from '../../shared/storage/port.ts';
import type { JournalEntry } from './spool/Journal.ts';

export type IngestResult =
  | { ok: true; message: DecodedMessage; entry?: JournalEntry; readings: number }
  | { ok: false; code: string; deadLetter: DeadLetter };

export function tagsOf(registry: Registry, lampId: string): LampTags | undefined {
  const lamp = registry.lamp(lampId);
  const model = lamp ? registry.model(lamp.modelId) : undefined;
  if (!lamp || !model) return undefined;
  return { lampId, segmentId: lamp.segmentId, vendorId: model.vendorId, modelId: lamp.modelId };
}

function unknownLamp(topic: string, payload: Uint8Array, why: string, now: number): IngestResult {
  const text = Buffer.from(payload).toString('utf8');
  return {
    ok: false,
    code: 'unknown_lamp',
    deadLetter: {
      ts: now,
      topic: topic.slice(0, 1024),
      reason: `unknown_lamp: ${why}`.slice(0, 1024),
      path: 'lampId',
      bytes: payload.byteLength,
      payload: text.slice(0, LIMITS.maxDeadLetterPayloadChars),
    },
  };
}

/**
 * Decode one message. A batch is taken whole or rejected whole: every reading must be a lamp of
 * the batch's segment (a controller speaks only for its own lamps).
 */
export function ingest(
  registry: Registry,
  topic: string,
  payload: Uint8Array,
  now: number,
): IngestResult {
  const decoded = decodeMessage(topic, payload, { now });
  if (!decoded.ok)
    return {
      ok: false,
      code: decoded.code,
      deadLetter: deadLetterFor(topic, payload, decoded, now),
    };
  switch (decoded.kind) {
    case 'batch': {
      const records = [];
      for (const r of decoded.value.readings) {
        const tags = tagsOf(registry, r.lampId);
        if (!tags || tags.segmentId !== decoded.value.segmentId) {
          return unknownLamp(
            topic,
            payload,
            `${r.lampId} is not a lamp of ${decoded.value.segmentId}`,
            now,
          );
        }
        // The decoded reading is our own fresh object: tag it in place rather than copy it.
        records.push(Object.assign(r, tags));
      }
      return {
        ok: true,
        message: decoded,
        entry: { kind: 'telemetry', records },
        readings: records.length,
      };
    }
    case 'telemetry':
    case 'event':
    case 'status':
    case 'ack': {
      const tags = tagsOf(registry, decoded.value.lampId);
      if (!tags)
        return unknownLamp(topic, payload, `${decoded.value.lampId} is not in the registry`, now);
      return {
        ok: true,
        message: decoded,
        entry: { kind: decoded.kind, records: [{ ...decoded.value, ...tags }] },
        readings: 1,
      };
    }
    default:
      // Commands feed the ack-timeout alarm only; alarms and dead letters are ours.
      return { ok: true, message: decoded, readings: 0 };
  }
}

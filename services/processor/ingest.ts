/**
 * From an MQTT message to what the processor keeps: decode with the shared contract, check the
 * lamps against the registry, add the stored tags. Pure: no I/O, the clock is passed in.
 */
import { describeForgery, forgedLamps, segmentLookup } from '../../shared/auth/deviceRule.ts';
import type { DeadLetter } from '../../shared/contract/alarms.ts';
import {
  type DecodedMessage,
  deadLetterFor,
  decodeMessage,
  type RejectCode,
} from '../../shared/contract/decode.ts';
import { LIMITS } from '../../shared/contract/limits.ts';
import type { Registry } from '../../shared/registry/index.ts';
import type { LampTags } from '../../shared/storage/port.ts';
import type { JournalEntry } from './spool/Journal.ts';

export type IngestResult =
  | { ok: true; message: DecodedMessage; entry?: JournalEntry; readings: number }
  | { ok: false; code: RejectCode; deadLetter: DeadLetter };

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
 * Decode one message. A batch is taken whole or rejected whole: every reading must be of a lamp
 * its controller may speak for (shared/auth/deviceRule.ts: the lamps of its own segment).
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
      const forged = forgedLamps(decoded, segmentLookup(registry));
      if (forged.length > 0)
        return unknownLamp(topic, payload, describeForgery(decoded, forged), now);
      const records = [];
      for (const r of decoded.value.readings) {
        const tags = tagsOf(registry, r.lampId);
        if (!tags) return unknownLamp(topic, payload, `${r.lampId} has no luminaire model`, now);
        // The decoded reading is our own fresh object: tag it in place rather than copy it.
        records.push(Object.assign(r, tags));
      }
      return {
        ok: true,
        message: decoded,
        entry: { kind: 'telemetry', records, raw: { kind: 'batch', bytes: payload } },
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
        entry: {
          kind: decoded.kind,
          records: [{ ...decoded.value, ...tags }],
          raw: { kind: decoded.kind, bytes: payload },
        },
        readings: 1,
      };
    }
    default:
      // Commands feed the ack-timeout alarm only; alarms and dead letters are ours.
      return { ok: true, message: decoded, readings: 0 };
  }
}

/**
 * The inverse of the journal's raw lines: a payload that `ingest` accepted, read back from disk,
 * to the entry `ingest` made of it. No schema check again (it passed before it was journaled;
 * the schemas are strict and transform nothing, so JSON.parse gives the same value); the tags
 * come from the registry as at ingest. A lamp that has left the registry since is still stored,
 * with the tags the payload gives (lampId, and the batch's segmentId): acknowledged data is never
 * dropped. Throws on a line that is not such a payload (the journal logs and skips it).
 */
export function decodeJournaled(registry: Registry): (kind: string, text: string) => JournalEntry {
  const tag = <T extends { lampId: string }>(r: T, segmentId = ''): T & LampTags =>
    Object.assign(
      r,
      tagsOf(registry, r.lampId) ?? { lampId: r.lampId, segmentId, vendorId: '', modelId: '' },
    );
  return (kind, text) => {
    const value = JSON.parse(text) as {
      lampId: string;
      segmentId?: string;
      readings?: { lampId: string }[];
    };
    switch (kind) {
      case 'batch':
        if (!Array.isArray(value.readings)) throw new Error('batch without readings');
        return {
          kind: 'telemetry',
          records: value.readings.map((r) => tag(r, value.segmentId)),
        };
      case 'telemetry':
      case 'event':
      case 'status':
      case 'ack':
        if (typeof value.lampId !== 'string') throw new Error(`${kind} without a lampId`);
        return { kind, records: [tag(value)] };
      default:
        throw new Error(`unknown journaled kind ${kind}`);
    }
  };
}

import type { z } from 'zod';
import { Alarm, DeadLetter } from './alarms.ts';
import { CommandAck, LampCommand } from './commands.ts';
import { LampEvent } from './events.ts';
import { fastAccepts, hasFastAccept } from './fastAccept.ts';
import { LIMITS } from './limits.ts';
import { LampStatus } from './status.ts';
import { SegmentBatch, Telemetry } from './telemetry.ts';
import { type MessageKind, type ParsedTopic, parseTopic } from './topics.ts';

/** The schema of each message kind: the single table every boundary decodes with. */
export const SCHEMAS = {
  telemetry: Telemetry,
  batch: SegmentBatch,
  status: LampStatus,
  event: LampEvent,
  cmd: LampCommand,
  ack: CommandAck,
  alarm: Alarm,
  deadletter: DeadLetter,
} as const satisfies Record<MessageKind, z.ZodType>;

export type MessageOf<K extends MessageKind> = z.infer<(typeof SCHEMAS)[K]>;

/** Why a message was rejected. `code` is stable and used as a metrics label. */
export type RejectCode =
  | 'unknown_topic'
  | 'too_large'
  | 'not_json'
  | 'schema'
  | 'topic_mismatch'
  | 'clock_skew'
  /** Not decodeMessage's: a consumer with a registry (the processor) refuses lamps it does not know. */
  | 'unknown_lamp';

export type Rejection = { ok: false; code: RejectCode; reason: string; path?: string };
export type Decoded<K extends MessageKind> = { ok: true; kind: K; value: MessageOf<K> };

export interface DecodeOptions {
  /** Receiver clock, epoch ms; injected so tests and replays control it. */
  now?: number;
  maxFutureSkewMs?: number;
  maxPastSkewMs?: number;
}

export function maxBytesFor(kind: MessageKind): number {
  return kind === 'batch' || kind === 'deadletter'
    ? LIMITS.maxBatchPayloadBytes
    : LIMITS.maxPayloadBytes;
}

function reject(code: RejectCode, reason: string, path?: string): Rejection {
  return path === undefined ? { ok: false, code, reason } : { ok: false, code, reason, path };
}

/** Format zod issues as `path: message; ...`, naming the failing path first. */
export function describeIssues(error: z.ZodError): { reason: string; path: string } {
  const parts = error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  return { reason: parts.join('; '), path: error.issues[0]?.path.join('.') ?? '' };
}

/** The first device timestamp of the message outside [from, to], or undefined. */
function outsideWindow(
  kind: MessageKind,
  value: unknown,
  from: number,
  to: number,
): number | undefined {
  const v = value as { ts?: number; issuedAt?: number; readings?: { ts: number }[] };
  const own = (kind === 'cmd' ? v.issuedAt : v.ts) ?? 0;
  if (own < from || own > to) return own;
  if (kind === 'batch') {
    for (const r of v.readings ?? []) if (r.ts < from || r.ts > to) return r.ts;
  }
  return undefined;
}

/** A payload as text; a Buffer is decoded in place (Buffer.from(buffer) would copy it first). */
function textOf(payload: Uint8Array | string): string {
  if (typeof payload === 'string') return payload;
  return (
    Buffer.isBuffer(payload)
      ? payload
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
  ).toString('utf8');
}

/**
 * Decode a payload of a known kind: size, JSON, schema, then device clock skew. Never throws.
 */
export function decodePayload<K extends MessageKind>(
  kind: K,
  payload: Uint8Array | string,
  opts: DecodeOptions = {},
): Decoded<K> | Rejection {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  const max = maxBytesFor(kind);
  if (bytes > max) return reject('too_large', `payload is ${bytes} bytes, limit ${max}`);
  let json: unknown;
  try {
    json = JSON.parse(textOf(payload));
  } catch (e) {
    return reject('not_json', `payload is not JSON: ${(e as Error).message}`);
  }
  // The compiled check only ever says yes; anything it refuses is zod's to judge and explain.
  const result =
    hasFastAccept(kind) && fastAccepts(kind, json)
      ? { success: true as const, data: json }
      : SCHEMAS[kind].safeParse(json);
  if (!result.success) {
    const { reason, path } = describeIssues(result.error);
    return reject('schema', `${kind}: ${reason}`, path);
  }
  const now = opts.now ?? Date.now();
  const ahead = opts.maxFutureSkewMs ?? LIMITS.maxFutureSkewMs;
  // A status may be as old as the connection: a last will carries the time of the connect it was
  // set at, and the broker sends it when that connection drops, days or months later.
  const behind =
    kind === 'status' ? Number.POSITIVE_INFINITY : (opts.maxPastSkewMs ?? LIMITS.maxPastSkewMs);
  const ts = outsideWindow(kind, result.data, now - behind, now + ahead);
  if (ts !== undefined) {
    return ts > now
      ? reject('clock_skew', `timestamp ${ts} is ${ts - now} ms ahead (limit ${ahead})`, 'ts')
      : reject('clock_skew', `timestamp ${ts} is ${now - ts} ms old (limit ${behind})`, 'ts');
  }
  return { ok: true, kind, value: result.data as MessageOf<K> };
}

export type DecodedMessage = {
  [K in MessageKind]: Decoded<K> & { topic: ParsedTopic };
}[MessageKind];

/**
 * Decode an MQTT message from its topic and payload. Checks that ids in the payload match the
 * topic, so that lamp A's topic cannot carry lamp B's reading.
 */
export function decodeMessage(
  topic: string,
  payload: Uint8Array | string,
  opts: DecodeOptions = {},
): DecodedMessage | Rejection {
  const parsed = parseTopic(topic);
  if (!parsed)
    return reject('unknown_topic', `topic ${topic.slice(0, 200)} is not in the contract`);
  const decoded = decodePayload(parsed.kind, payload, opts);
  if (!decoded.ok) return decoded;
  const v = decoded.value as { lampId?: string; segmentId?: string; type?: string };
  if ('lampId' in parsed && parsed.kind !== 'cmd' && v.lampId !== parsed.lampId) {
    return reject('topic_mismatch', `lampId ${v.lampId} does not match topic`, 'lampId');
  }
  if (parsed.kind === 'batch' && v.segmentId !== parsed.segmentId) {
    return reject('topic_mismatch', `segmentId ${v.segmentId} does not match topic`, 'segmentId');
  }
  if (parsed.kind === 'alarm' && v.type !== parsed.alarmType) {
    return reject('topic_mismatch', `alarm type ${v.type} does not match topic`, 'type');
  }
  return { ...decoded, topic: parsed } as DecodedMessage;
}

/** Build a dead-letter record for a rejected message. */
export function deadLetterFor(
  topic: string,
  payload: Uint8Array | string,
  rejection: Rejection,
  now: number = Date.now(),
): DeadLetter {
  const text = textOf(payload);
  const record: DeadLetter = {
    ts: now,
    topic: topic.slice(0, 1024),
    reason: `${rejection.code}: ${rejection.reason}`.slice(0, 1024),
    bytes: typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength,
    payload: text.slice(0, LIMITS.maxDeadLetterPayloadChars),
  };
  if (rejection.path !== undefined) record.path = rejection.path.slice(0, 512);
  return record;
}

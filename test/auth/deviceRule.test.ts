import { describe, expect, it } from 'vitest';
import {
  describeForgery,
  forgedLamps,
  maySpeakFor,
  type Speaker,
  segmentLookup,
  speakerOf,
} from '../../shared/auth/deviceRule.ts';
import {
  type DecodedMessage,
  decodeMessage,
  parseTopic,
  topics,
} from '../../shared/contract/index.ts';
import { loadRegistry } from '../../shared/registry/index.ts';
import { reading } from '../gateway/harness.ts';

const registry = loadRegistry();
const segmentOf = segmentLookup(registry);
const seg = registry.segments[0]!;
const other = registry.segments[1]!;
const own = seg.lampIds[0]!;
const neighbour = seg.lampIds[1]!;
const foreign = other.lampIds[0]!;

const lamp: Speaker = { kind: 'lamp', lampId: own };
const controller: Speaker = { kind: 'controller', segmentId: seg.id };

describe('maySpeakFor', () => {
  it.each([
    ['a lamp, for itself', lamp, own, true],
    ['a lamp, for a lamp of its own segment', lamp, neighbour, false],
    ['a lamp, for a lamp of another segment', lamp, foreign, false],
    ['a controller, for a lamp of its segment', controller, own, true],
    ['a controller, for another lamp of its segment', controller, neighbour, true],
    ['a controller, for a lamp of another segment', controller, foreign, false],
    ['a controller, for a lamp the registry lacks', controller, 'DOLL-9999', false],
  ])('%s: %s', (_name, speaker, lampId, ok) => {
    expect(maySpeakFor(speaker, lampId, segmentOf)).toBe(ok);
  });
});

describe('speakerOf', () => {
  it.each([
    [topics.telemetry(own), { kind: 'lamp', lampId: own }],
    [topics.status(own), { kind: 'lamp', lampId: own }],
    [topics.event(own), { kind: 'lamp', lampId: own }],
    [topics.ack(own), { kind: 'lamp', lampId: own }],
    [topics.batch(seg.id), { kind: 'controller', segmentId: seg.id }],
    // Services' topics belong to no device.
    [topics.command(own), undefined],
    [topics.alarm('lampFailure'), undefined],
    [topics.deadLetter(), undefined],
  ])('%s', (topic, speaker) => {
    expect(speakerOf(parseTopic(topic)!)).toEqual(speaker);
  });
});

function batchOf(segmentId: string, lampIds: string[]): DecodedMessage {
  const now = Date.now();
  const batch = {
    segmentId,
    controllerId: registry.segment(segmentId)!.controllerId,
    ts: now,
    readings: lampIds.map((id) => reading(id, { ts: now })),
  };
  const decoded = decodeMessage(topics.batch(segmentId), JSON.stringify(batch), { now });
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded;
}

describe('forgedLamps', () => {
  it.each([
    ['a batch of its own lamps', [own, neighbour], []],
    ['a batch with a lamp of another segment', [own, foreign], [foreign]],
    ['a batch of another segment only, repeated', [foreign, foreign], [foreign]],
    ['a batch with a lamp the registry lacks', [own, 'DOLL-9999'], ['DOLL-9999']],
  ])('%s', (_name, lampIds, forged) => {
    expect(forgedLamps(batchOf(seg.id, lampIds), segmentOf)).toEqual(forged);
  });

  it('takes a lamp message as the lamp speaking for itself', () => {
    const now = Date.now();
    const decoded = decodeMessage(
      topics.telemetry(own),
      JSON.stringify(reading(own, { ts: now })),
      {
        now,
      },
    );
    expect(decoded.ok && forgedLamps(decoded, segmentOf)).toEqual([]);
  });

  it('says who may not speak for whom', () => {
    const message = batchOf(seg.id, [own, foreign]);
    expect(describeForgery(message, forgedLamps(message, segmentOf))).toBe(
      `the controller of ${seg.id} may not speak for ${foreign}`,
    );
  });
});

import { describe, expect, it } from 'vitest';
import {
  filters,
  parseTopic,
  sharedFilter,
  TOPIC_ROOT,
  TopicIdError,
  topics,
} from '../../shared/contract/topics.ts';

describe('topic builders and parser', () => {
  it.each([
    ['telemetry', topics.telemetry, { kind: 'telemetry', lampId: 'DOLL-0001' }],
    ['status', topics.status, { kind: 'status', lampId: 'DOLL-0001' }],
    ['event', topics.event, { kind: 'event', lampId: 'DOLL-0001' }],
    ['cmd', topics.command, { kind: 'cmd', lampId: 'DOLL-0001' }],
    ['ack', topics.ack, { kind: 'ack', lampId: 'DOLL-0001' }],
  ] as const)('round-trips %s', (_name, build, parsed) => {
    const t = build('DOLL-0001');
    expect(t.startsWith(`${TOPIC_ROOT}/lamp/DOLL-0001/`)).toBe(true);
    expect(parseTopic(t)).toEqual(parsed);
  });

  it('round-trips batch, alarm and dead-letter topics', () => {
    expect(parseTopic(topics.batch('seg-03'))).toEqual({ kind: 'batch', segmentId: 'seg-03' });
    expect(parseTopic(topics.alarm('commsLost'))).toEqual({
      kind: 'alarm',
      alarmType: 'commsLost',
    });
    expect(parseTopic(topics.deadLetter())).toEqual({ kind: 'deadletter' });
  });

  it.each([
    ['plus', '+'],
    ['hash', '#'],
    ['slash', 'a/b'],
    ['empty', ''],
    ['very long', 'x'.repeat(65)],
    ['leading dot', '.hidden'],
    ['space', 'lamp 1'],
    ['null byte', 'a\u0000b'],
    ['dollar', '$SYS'],
    ['unicode', 'lampe-ø'],
  ])('refuses a hostile id (%s) in every builder', (_name, id) => {
    for (const build of [
      topics.telemetry,
      topics.status,
      topics.event,
      topics.command,
      topics.ack,
      topics.batch,
      topics.alarm,
    ]) {
      expect(() => build(id)).toThrow(TopicIdError);
    }
  });

  it('accepts the longest legal id', () => {
    const id = `L${'x'.repeat(63)}`;
    expect(parseTopic(topics.telemetry(id))).toEqual({ kind: 'telemetry', lampId: id });
  });

  it.each([
    `${TOPIC_ROOT}/lamp/+/telemetry`,
    `${TOPIC_ROOT}/lamp/#`,
    `${TOPIC_ROOT}/lamp//telemetry`,
    `${TOPIC_ROOT}/lamp/a/telemetry/extra`,
    `${TOPIC_ROOT}/lamp/a/unknown`,
    `${TOPIC_ROOT}/segment/s/status`,
    `${TOPIC_ROOT}/alarm/a/b`,
    'gadelys/v0/lamp/a/telemetry',
    `/${TOPIC_ROOT}/lamp/a/telemetry`,
    '',
  ])('parses %s as outside the contract', (t) => {
    expect(parseTopic(t)).toBeNull();
  });

  it('builds shared-subscription filters and refuses a hostile group', () => {
    expect(sharedFilter('processors', filters.allTelemetry)).toBe(
      `$share/processors/${TOPIC_ROOT}/lamp/+/telemetry`,
    );
    expect(() => sharedFilter('a/b', filters.allTelemetry)).toThrow(TopicIdError);
  });
});

import { describe, expect, it } from 'vitest';
import { loadProcessorConfig } from '../../services/processor/config.ts';
import { decodeJournaled, ingest } from '../../services/processor/ingest.ts';
import { topics } from '../../shared/contract/topics.ts';
import { loadRegistry } from '../../shared/registry/index.ts';
import { reading } from './harness.ts';

const registry = loadRegistry();
const now = Date.UTC(2026, 10, 20, 22, 0, 0);
const t0 = now - 60_000;
const lamp = registry.lamps[0]!;
const seg = registry.segment(lamp.segmentId)!;
const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('ingest', () => {
  it('adds the registry tags to a reading', () => {
    const payload = bytes(reading(lamp.id, 1, t0));
    const r = ingest(registry, topics.telemetry(lamp.id), payload, now);
    expect(r.ok && r.entry).toEqual({
      kind: 'telemetry',
      records: [
        {
          ...reading(lamp.id, 1, t0),
          segmentId: lamp.segmentId,
          modelId: lamp.modelId,
          vendorId: registry.vendorOf(lamp.id)!.id,
        },
      ],
      raw: { kind: 'telemetry', bytes: payload },
    });
  });

  it('decodes a journaled payload back to the entry ingest made of it', () => {
    const decode = decodeJournaled(registry);
    const single = bytes(reading(lamp.id, 1, t0));
    const batch = bytes({
      segmentId: seg.id,
      controllerId: seg.controllerId,
      ts: t0,
      readings: seg.lampIds.map((id) => reading(id, 1, t0)),
    });
    for (const [topic, payload] of [
      [topics.telemetry(lamp.id), single],
      [topics.batch(seg.id), batch],
    ] as const) {
      const r = ingest(registry, topic, payload, now);
      if (!r.ok || !r.entry?.raw) throw new Error('expected an accepted entry with its payload');
      const back = decode(r.entry.raw.kind, Buffer.from(r.entry.raw.bytes).toString('utf8'));
      expect(back).toEqual({ kind: r.entry.kind, records: r.entry.records });
    }
    // A lamp that left the registry since: still stored, with the tags the payload gives.
    expect(decode('telemetry', JSON.stringify(reading('GONE', 1, t0))).records).toEqual([
      { ...reading('GONE', 1, t0), segmentId: '', vendorId: '', modelId: '' },
    ]);
    expect(() => decode('telemetry', '{"nope":1}')).toThrow(/lampId/);
  });

  it.each([
    ['too_large', topics.telemetry(lamp.id), Buffer.alloc(8 * 1024, 0x20)],
    ['not_json', topics.telemetry(lamp.id), bytes('{nope')],
    ['schema', topics.telemetry(lamp.id), bytes({ ...reading(lamp.id, 1, t0), activePower: -1 })],
    ['topic_mismatch', topics.telemetry(registry.lamps[1]!.id), bytes(reading(lamp.id, 1, t0))],
    ['clock_skew', topics.telemetry(lamp.id), bytes(reading(lamp.id, 1, now + 3_600_000))],
    ['unknown_topic', 'gadelys/v1/lamp/x/y/z', bytes('{}')],
    ['unknown_lamp', topics.telemetry('NOT-A-LAMP'), bytes(reading('NOT-A-LAMP', 1, t0))],
    [
      'unknown_lamp',
      topics.batch(seg.id),
      bytes({
        segmentId: seg.id,
        controllerId: seg.controllerId,
        ts: t0,
        readings: [reading(lamp.id, 1, t0), reading(registry.segments[1]!.lampIds[0]!, 1, t0)],
      }),
    ],
  ])('rejects %s with a dead letter', (code, topic, payload) => {
    const r = ingest(registry, topic, payload, now);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe(code);
    expect(r.deadLetter.reason.startsWith(`${code}:`)).toBe(true);
    expect(r.deadLetter.payload.length).toBeLessThanOrEqual(1024);
    expect(r.deadLetter.bytes).toBe(payload.byteLength);
  });

  it('passes commands through for the ack timer without storing them', () => {
    const r = ingest(
      registry,
      topics.command(lamp.id),
      bytes({ type: 'release', commandId: 'c1', issuedAt: t0 }),
      now,
    );
    expect(r).toMatchObject({ ok: true, readings: 0 });
    expect(r.ok && r.entry).toBeUndefined();
  });
});

describe('processor config', () => {
  it('has working defaults and lists every bad variable', () => {
    const c = loadProcessorConfig({});
    expect(c).toMatchObject({
      STORE: 'duckdb',
      DUCKDB_PATH: './data/gadelys.duckdb',
      SPOOL_DIR: './data/spool',
      PROCESSOR_BATCH_SIZE: 5000,
    });
    expect(() =>
      loadProcessorConfig({ STORE: 'mongo', PROCESSOR_BATCH_SIZE: '0', MQTT_URL: 'nope' }),
    ).toThrow(/STORE=.*\n.*MQTT_URL=|MQTT_URL=.*\n(.*\n)*.*STORE=/);
  });
});

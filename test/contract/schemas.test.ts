import { describe, expect, it } from 'vitest';
import {
  CommandAck,
  deadLetterFor,
  decodeMessage,
  decodePayload,
  EXAMPLE_TS,
  exampleAckApplied,
  exampleAlarm,
  exampleBatch,
  exampleEvent,
  exampleOverride,
  exampleStatusOnline,
  exampleTelemetry,
  LampCommand,
  LIMITS,
  type MessageKind,
  SCHEMAS,
  topics,
} from '../../shared/contract/index.ts';

/** Decode as a receiver whose clock reads the examples' time. */
const at = { now: EXAMPLE_TS };
const json = (v: unknown) => JSON.stringify(v);
const reading = (patch: Record<string, unknown>) => ({ ...exampleTelemetry, ...patch });
/** The example's power as it appears in its JSON, to swap in values JSON.stringify cannot write. */
const POWER = `"activePower":${exampleTelemetry.activePower}`;
const without = (o: object, key: string) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

type Case = { name: string; kind: MessageKind; payload: string; code?: string; path?: string };

const accept: Case[] = [
  { name: 'telemetry example', kind: 'telemetry', payload: json(exampleTelemetry) },
  {
    // A last will is stamped when the lamp connected and sent when that connection drops.
    name: 'last will of a lamp connected for 30 days',
    kind: 'status',
    payload: json({
      lampId: exampleStatusOnline.lampId,
      state: 'offline',
      ts: EXAMPLE_TS - 30 * 86_400_000,
    }),
  },
  {
    name: 'telemetry without optional sensors',
    kind: 'telemetry',
    payload: json(without(without(exampleTelemetry, 'illuminance'), 'presenceCount')),
  },
  {
    name: 'level 0 and 100 (range ends)',
    kind: 'telemetry',
    payload: json(reading({ targetLevel: 0, actualLevel: 100 })),
  },
  {
    name: 'timestamp 4 min ahead (inside skew)',
    kind: 'telemetry',
    payload: json(reading({ ts: EXAMPLE_TS + 4 * 60_000 })),
  },
  {
    name: 'reading buffered for 6 days',
    kind: 'telemetry',
    payload: json(reading({ ts: EXAMPLE_TS - 6 * 86_400_000 })),
  },
  { name: 'batch example', kind: 'batch', payload: json(exampleBatch) },
  { name: 'status birth', kind: 'status', payload: json(exampleStatusOnline) },
  { name: 'event', kind: 'event', payload: json(exampleEvent) },
  { name: 'override', kind: 'cmd', payload: json(exampleOverride) },
  { name: 'ack applied', kind: 'ack', payload: json(exampleAckApplied) },
  { name: 'alarm', kind: 'alarm', payload: json(exampleAlarm) },
];

const reject: Case[] = [
  {
    name: 'NaN (written as a string)',
    kind: 'telemetry',
    payload: json(reading({ activePower: 'NaN' })),
    code: 'schema',
    path: 'activePower',
  },
  {
    name: 'NaN literal is not JSON',
    kind: 'telemetry',
    payload: json(exampleTelemetry).replace(POWER, '"activePower":NaN'),
    code: 'not_json',
  },
  {
    name: 'Infinity literal is not JSON',
    kind: 'telemetry',
    payload: json(exampleTelemetry).replace(POWER, '"activePower":Infinity'),
    code: 'not_json',
  },
  {
    name: '1e999 parses to Infinity',
    kind: 'telemetry',
    payload: json(exampleTelemetry).replace(POWER, '"activePower":1e999'),
    code: 'schema',
    path: 'activePower',
  },
  {
    name: 'negative energy',
    kind: 'telemetry',
    payload: json(reading({ activeEnergy: -0.1 })),
    code: 'schema',
    path: 'activeEnergy',
  },
  {
    name: 'dim level 101',
    kind: 'telemetry',
    payload: json(reading({ actualLevel: 101 })),
    code: 'schema',
    path: 'actualLevel',
  },
  {
    name: 'negative dim level',
    kind: 'telemetry',
    payload: json(reading({ targetLevel: -1 })),
    code: 'schema',
    path: 'targetLevel',
  },
  {
    name: 'power factor above 1',
    kind: 'telemetry',
    payload: json(reading({ powerFactor: 1.2 })),
    code: 'schema',
    path: 'powerFactor',
  },
  {
    name: 'fractional switch counter',
    kind: 'telemetry',
    payload: json(reading({ switchOnCounter: 1.5 })),
    code: 'schema',
    path: 'switchOnCounter',
  },
  {
    name: 'missing field',
    kind: 'telemetry',
    payload: json(without(exampleTelemetry, 'activePower')),
    code: 'schema',
    path: 'activePower',
  },
  {
    name: 'unknown field',
    kind: 'telemetry',
    payload: json(reading({ colour: 'red' })),
    code: 'schema',
  },
  {
    name: 'number as string',
    kind: 'telemetry',
    payload: json(reading({ supplyVoltage: '230' })),
    code: 'schema',
    path: 'supplyVoltage',
  },
  {
    name: 'oversize lamp id',
    kind: 'telemetry',
    payload: json(reading({ lampId: 'L'.repeat(65) })),
    code: 'schema',
    path: 'lampId',
  },
  {
    name: 'lamp id with a slash',
    kind: 'telemetry',
    payload: json(reading({ lampId: 'a/b' })),
    code: 'schema',
    path: 'lampId',
  },
  {
    name: 'oversize payload',
    kind: 'telemetry',
    payload: json(reading({ pad: 'x'.repeat(LIMITS.maxPayloadBytes) })),
    code: 'too_large',
  },
  {
    name: 'timestamp far in the future',
    kind: 'telemetry',
    payload: json(reading({ ts: EXAMPLE_TS + 86_400_000 })),
    code: 'clock_skew',
    path: 'ts',
  },
  {
    name: 'timestamp 6 min ahead',
    kind: 'telemetry',
    payload: json(reading({ ts: EXAMPLE_TS + 6 * 60_000 })),
    code: 'clock_skew',
    path: 'ts',
  },
  {
    name: 'timestamp in seconds, not ms',
    kind: 'telemetry',
    payload: json(reading({ ts: Math.floor(EXAMPLE_TS / 1000) })),
    code: 'schema',
    path: 'ts',
  },
  {
    name: 'reading 8 days old',
    kind: 'telemetry',
    payload: json(reading({ ts: EXAMPLE_TS - 8 * 86_400_000 })),
    code: 'clock_skew',
  },
  { name: 'not JSON at all', kind: 'telemetry', payload: '\u0000\u0001garbage', code: 'not_json' },
  { name: 'JSON array', kind: 'telemetry', payload: '[1,2,3]', code: 'schema' },
  {
    name: 'empty batch',
    kind: 'batch',
    payload: json({ ...exampleBatch, readings: [] }),
    code: 'schema',
    path: 'readings',
  },
  {
    name: 'batch with one bad reading',
    kind: 'batch',
    payload: json({ ...exampleBatch, readings: [exampleTelemetry, reading({ actualLevel: 101 })] }),
    code: 'schema',
    path: 'readings.1.actualLevel',
  },
  {
    name: 'batch reading from the future',
    kind: 'batch',
    payload: json({ ...exampleBatch, readings: [reading({ ts: EXAMPLE_TS + 3_600_000 })] }),
    code: 'clock_skew',
  },
  {
    name: 'status neither online nor offline',
    kind: 'status',
    payload: json({ ...exampleStatusOnline, state: 'sleeping' }),
    code: 'schema',
    path: 'state',
  },
  {
    name: 'oversize firmware string',
    kind: 'status',
    payload: json({ ...exampleStatusOnline, firmware: 'v'.repeat(LIMITS.maxTextLength + 1) }),
    code: 'schema',
    path: 'firmware',
  },
  {
    name: 'unknown event type',
    kind: 'event',
    payload: json({ ...exampleEvent, type: 'lampExploded' }),
    code: 'schema',
    path: 'type',
  },
  {
    name: 'override level 101',
    kind: 'cmd',
    payload: json({ ...exampleOverride, level: 101 }),
    code: 'schema',
    path: 'level',
  },
  {
    name: 'unknown command type',
    kind: 'cmd',
    payload: json({ ...exampleOverride, type: 'selfDestruct' }),
    code: 'schema',
    path: 'type',
  },
  {
    name: 'ramp over an hour',
    kind: 'cmd',
    payload: json({ ...exampleOverride, rampMs: 3_600_001 }),
    code: 'schema',
    path: 'rampMs',
  },
  {
    name: 'rejected ack without reason',
    kind: 'ack',
    payload: json({ ...exampleAckApplied, status: 'rejected' }),
    code: 'schema',
    path: 'reason',
  },
  {
    name: 'alarm naming neither lamp nor segment',
    kind: 'alarm',
    payload: json(without(exampleAlarm, 'segmentId')),
    code: 'schema',
    path: 'lampId',
  },
];

describe('decodePayload accepts', () => {
  it.each(accept)('$name', ({ kind, payload }) => {
    const r = decodePayload(kind, payload, at);
    expect(r.ok ? 'ok' : `${r.code}: ${r.reason}`).toBe('ok');
  });
});

describe('decodePayload rejects', () => {
  it.each(reject)('$name -> $code', ({ kind, payload, code, path }) => {
    const r = decodePayload(kind, payload, at);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe(code);
    if (path !== undefined) expect(r.path).toBe(path);
    expect(r.reason.length).toBeGreaterThan(0);
  });

  it('names the failing path in the reason', () => {
    const r = decodePayload('telemetry', json(reading({ actualLevel: 101 })), at);
    expect(!r.ok && r.reason).toMatch(/^telemetry: actualLevel: /);
  });
});

describe('decodeMessage', () => {
  it('decodes by topic and checks the payload id against the topic', () => {
    const own = topics.telemetry(exampleTelemetry.lampId);
    const ok = decodeMessage(own, json(exampleTelemetry), at);
    expect(ok.ok && ok.kind).toBe('telemetry');
    const wrong = decodeMessage(topics.telemetry('DOLL-0001'), json(exampleTelemetry), at);
    expect(!wrong.ok && wrong.code).toBe('topic_mismatch');
    const batch = decodeMessage(topics.batch('seg-09'), json(exampleBatch), at);
    expect(!batch.ok && batch.code).toBe('topic_mismatch');
  });

  it('allows a batch up to its own, larger limit', () => {
    const readings = Array.from({ length: LIMITS.maxBatchReadings }, (_, i) =>
      reading({ lampId: `L${i}` }),
    );
    const r = decodeMessage(topics.batch('seg-02'), json({ ...exampleBatch, readings }), at);
    expect(r.ok ? 'ok' : r.reason).toBe('ok');
    const tooMany = [...readings, exampleTelemetry];
    const r2 = decodeMessage(
      topics.batch('seg-02'),
      json({ ...exampleBatch, readings: tooMany }),
      at,
    );
    expect(!r2.ok && r2.code).toBe('schema');
  });

  it('rejects topics outside the contract', () => {
    for (const t of ['gadelys/v2/lamp/a/telemetry', 'gadelys/v1/lamp/a/b/telemetry', 'x', '']) {
      const r = decodeMessage(t, json(exampleTelemetry), at);
      expect(!r.ok && r.code, t).toBe('unknown_topic');
    }
  });

  it('takes a Buffer as well as a string', () => {
    const r = decodeMessage(topics.ack('DOLL-0042'), Buffer.from(json(exampleAckApplied)), at);
    expect(r.ok).toBe(true);
  });
});

describe('defaults and dead letters', () => {
  it('fills the override ramp default', () => {
    const cmd = LampCommand.parse({
      commandId: 'c1',
      type: 'override',
      issuedAt: EXAMPLE_TS,
      level: 20,
    });
    expect(cmd.type === 'override' && cmd.rampMs).toBe(0);
  });

  it('builds a valid, truncated dead letter from a rejection', () => {
    const payload = `{"junk":"${'x'.repeat(5000)}"}`;
    const r = decodePayload('telemetry', payload, at);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const dl = deadLetterFor('gadelys/v1/lamp/x/telemetry', payload, r, EXAMPLE_TS);
    expect(SCHEMAS.deadletter.safeParse(dl).success).toBe(true);
    expect(dl.payload.length).toBe(LIMITS.maxDeadLetterPayloadChars);
    expect(dl.bytes).toBe(payload.length);
    expect(dl.reason).toMatch(/^too_large: /);
  });

  it('keeps ack status values to the three the contract names', () => {
    expect(CommandAck.safeParse({ ...exampleAckApplied, status: 'done' }).success).toBe(false);
  });
});

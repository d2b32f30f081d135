import { describe, expect, it } from 'vitest';
import { type FastKind, fastAccepts } from '../../shared/contract/fastAccept.ts';
import {
  decodePayload,
  EXAMPLE_TS,
  exampleBatch,
  exampleTelemetry,
  LIMITS,
  RANGES,
  SCHEMAS,
} from '../../shared/contract/index.ts';
import { createRandom } from '../../shared/random.ts';

/**
 * The compiled check may only say yes where zod says yes, and should say yes wherever zod does
 * (else the fast path is lost silently). Both verdicts are compared on payloads made by mutating
 * the examples at every path with values at and around every limit.
 */
const boundaries = [
  ...Object.values(RANGES).flatMap(({ min, max }) => [
    min,
    max,
    min - 1,
    max + 1,
    min - 1e-9,
    max + 1e-9,
    min + 0.5,
  ]),
  0,
  -0,
  0.1,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
];
const strings = [
  '',
  'a',
  'DOLL-0001',
  'x'.repeat(LIMITS.maxIdLength),
  'x'.repeat(LIMITS.maxIdLength + 1),
  'DOLL 1',
  '-a',
  '.a',
  'a/b',
  'a+',
  'é',
  'a\u00e9',
  '😀',
  `a${'😀'.repeat(32)}`,
  'a\n',
  '1',
];
const others = [null, true, false, [], {}, [1], { lampId: 'a' }, '12', '1e3'];
const pool: unknown[] = [...boundaries, ...strings, ...others];

type Json = Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** Apply one random mutation somewhere in the value: a key replaced, dropped or added. */
function mutate(value: Json, random: () => number): void {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  let target: Json = value;
  const readings = value.readings;
  if (Array.isArray(readings) && readings.length > 0 && random() < 0.7) {
    target = pick(readings as Json[]);
    if (typeof target !== 'object' || target === null || Array.isArray(target)) return;
  }
  const keys = Object.keys(target);
  const r = random();
  if (r < 0.75 && keys.length > 0) target[pick(keys)] = pick(pool);
  else if (r < 0.9 && keys.length > 0) delete target[pick(keys)];
  else target[pick(['extra', 'constructor', 'toString', 'lampid'])] = pick(pool);
}

function batchOf(n: number): Json {
  const b = clone(exampleBatch) as Json;
  const first = (b.readings as Json[])[0];
  b.readings = Array.from({ length: n }, () => clone(first));
  return b;
}

function compare(kind: FastKind, value: unknown): boolean {
  const zod = SCHEMAS[kind].safeParse(value).success;
  expect({ kind, value, fast: fastAccepts(kind, value) }).toEqual({ kind, value, fast: zod });
  return zod;
}

describe('compiled acceptance check', () => {
  it('agrees with zod on the examples and on every single-field boundary value', () => {
    for (const [kind, example] of [
      ['telemetry', exampleTelemetry],
      ['batch', exampleBatch],
    ] as const) {
      expect(compare(kind, clone(example))).toBe(true);
      const paths = Object.keys(example);
      for (const key of [...paths, 'extra']) {
        for (const v of pool) compare(kind, { ...clone(example), [key]: clone(v) });
      }
    }
    const reading = Object.keys(exampleTelemetry);
    for (const key of reading) {
      for (const v of pool) {
        const b = clone(exampleBatch) as Json;
        (b.readings as Json[])[0] = { ...clone(exampleTelemetry), [key]: clone(v) };
        compare('batch', b);
      }
    }
  });

  it('agrees with zod on batch sizes and on 6,000 randomly mutated payloads', () => {
    for (const n of [0, 1, LIMITS.maxBatchReadings, LIMITS.maxBatchReadings + 1]) {
      compare('batch', batchOf(n));
    }
    compare('batch', { ...clone(exampleBatch), readings: 'many' });
    // __proto__ as a key only comes from JSON text: an object literal would set the prototype.
    compare(
      'telemetry',
      JSON.parse(`{"__proto__":{},${JSON.stringify(exampleTelemetry).slice(1)}`),
    );

    const random = createRandom(20261122);
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 6_000; i++) {
      const kind: FastKind = i % 2 === 0 ? 'telemetry' : 'batch';
      const value = clone(kind === 'telemetry' ? exampleTelemetry : batchOf(3)) as Json;
      const mutations = 1 + Math.floor(random() * 3);
      for (let m = 0; m < mutations; m++) mutate(value, random);
      if (compare(kind, clone(value))) accepted++;
      else rejected++;
    }
    // Both verdicts are exercised in bulk, so agreement means something.
    expect(accepted).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(2_000);
  });

  it('leaves the decoded value as zod returns it, and rejections to zod', () => {
    const payload = JSON.stringify(exampleBatch);
    const decoded = decodePayload('batch', payload, { now: EXAMPLE_TS });
    expect(decoded).toEqual({ ok: true, kind: 'batch', value: SCHEMAS.batch.parse(exampleBatch) });
    const bad = JSON.stringify({ ...exampleTelemetry, activePower: -1 });
    expect(decodePayload('telemetry', bad, { now: EXAMPLE_TS })).toMatchObject({
      ok: false,
      code: 'schema',
      path: 'activePower',
    });
  });
});

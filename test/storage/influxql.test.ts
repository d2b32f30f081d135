import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../shared/random.ts';
import {
  column,
  historyQuery,
  quoteIdent,
  quoteString,
  timeLiteral,
} from '../../shared/storage/influxdb/influxql.ts';
import {
  createInfluxStore,
  parseInfluxVersion,
  retryableWriteStatus,
} from '../../shared/storage/influxdb/influxStore.ts';
import { v1WritePath } from '../../shared/storage/influxdb/transport.ts';
import { HistoryQuerySchema } from '../../shared/storage/queries.ts';
import {
  encodeLines,
  escapeStringField,
  escapeTag,
  type Measurement,
  type PrefixCache,
  toLine,
} from '../../shared/storage/schema.ts';
import { influxQuery, startInfluxd, type TestInfluxd } from '../helpers/influxd.ts';
import { reading, T0 } from './storeContract.ts';

/** `encodeLines` as text, and the same records one `toLine` at a time (the reference). */
const encoded = (m: Measurement, records: readonly object[], cache: PrefixCache) =>
  Buffer.from(encodeLines(m, records, cache).body).toString('utf8');
const oneByOne = (m: Measurement, records: readonly Record<string, unknown>[]) =>
  records
    .map((r) => toLine(m, r, r.ts as number))
    .filter((l) => l !== undefined)
    .join('\n');

describe('line protocol', () => {
  it.each([
    ['plain', 'DOLL-0001', 'DOLL-0001'],
    ['space', 'a b', 'a\\ b'],
    ['comma and equals', 'a,b=c', 'a\\,b\\=c'],
    ['backslash', 'a\\b', 'a\\\\b'],
    ['newline', 'a\nb', 'a b'],
  ])('escapes a tag value: %s', (_, input, expected) => {
    expect(escapeTag(input)).toBe(expected);
  });
  it.each([
    ['quote', 'say "hi"', '"say \\"hi\\""'],
    ['backslash', 'c:\\x', '"c:\\\\x"'],
    ['newline', 'a\r\nb', '"a  b"'],
  ])('escapes a string field: %s', (_, input, expected) => {
    expect(escapeStringField(input)).toBe(expected);
  });
  it('writes a reading with sorted tags, typed fields and a ms timestamp', () => {
    const line = toLine('telemetry', { ...reading(0, 1), presenceCount: 4 }, T0);
    expect(line).toBe(
      `telemetry,lampId=DOLL-0001,modelId=nordlys-arc-75,segmentId=seg-01,vendorId=nordlys ` +
        'seq=1i,targetLevel=50,actualLevel=50,activePower=11,activeEnergy=100.5,supplyVoltage=230,' +
        'supplyCurrent=0.2,powerFactor=0.9,operatingHours=1001,switchOnCounter=7i,gearTemperature=35.5,' +
        `presenceCount=4i ${T0}`,
    );
  });
  it('leaves out absent optional tags and has no line without fields', () => {
    expect(
      toLine(
        'alarm',
        { alarmId: 'x:seg-01', type: 'segmentSupplyLoss', segmentId: 'seg-01', state: 'raised' },
        T0,
      ),
    ).toBe(`alarm,alarmId=x:seg-01,segmentId=seg-01,type=segmentSupplyLoss state="raised" ${T0}`);
    expect(toLine('status', { lampId: 'DOLL-1' }, T0)).toBeUndefined();
  });
  it('builds the same lines in bulk, with cached tag prefixes, as one at a time', () => {
    const records: { measurement: 'telemetry' | 'alarm' | 'status'; r: Record<string, unknown> }[] =
      [
        { measurement: 'telemetry', r: { ...reading(0, 1), ts: T0 } },
        { measurement: 'telemetry', r: { ...reading(0, 2), ts: T0 + 1, illuminance: 3.25 } },
        { measurement: 'telemetry', r: { ...reading(1, 1), ts: T0, lampId: 'a b,c=d' } },
        { measurement: 'telemetry', r: { ...reading(0, 3), ts: T0 + 2, activePower: Number.NaN } },
        { measurement: 'status', r: { lampId: 'DOLL-1', ts: T0 } },
        {
          measurement: 'alarm',
          r: { alarmId: 'x', type: 'commsLost', lampId: 'DOLL-1', state: 'raised', ts: T0 },
        },
        { measurement: 'alarm', r: { alarmId: 'x', type: 'commsLost', state: 'cleared', ts: T0 } },
      ];
    const cache: PrefixCache = new Map();
    for (const m of ['telemetry', 'alarm', 'status'] as const) {
      const mine = records.filter((x) => x.measurement === m).map((x) => x.r);
      // Twice through the same cache: the second time every prefix comes from it.
      for (let pass = 0; pass < 2; pass++) {
        expect(encoded(m, mine, cache)).toBe(oneByOne(m, mine));
        expect(encodeLines(m, mine, cache).count).toBe(mine.length);
      }
    }
  });
  it('encodes the same bytes as the string builder, for every kind of number and text', () => {
    const random = createRandom(7);
    const numbers = [
      0,
      -0,
      1,
      -1,
      50,
      0.1,
      0.15,
      100.123,
      -12.5,
      1e-7,
      123456789012,
      2 ** 53 - 1,
      2 ** 53 + 2,
      1e21,
      1.5e300,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      -Number.MAX_VALUE,
    ];
    const texts = ['', 'ok', 'say "hi"', 'c:\\x', 'a\r\nb', 'Næstved ☀', '😀'];
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)] as T;
    const cache: PrefixCache = new Map();
    for (let i = 0; i < 300; i++) {
      const tele = { ...reading(i % 3, i), ts: T0 + i + pick([0, 0.7]) } as Record<string, unknown>;
      for (const f of ['seq', 'activePower', 'supplyCurrent', 'switchOnCounter', 'illuminance'])
        if (random() < 0.5) tele[f] = pick(numbers);
      if (random() < 0.2) tele.lampId = pick(['a b,c=d', 'Næstved', 'DOLL-0001']);
      const event = {
        lampId: 'DOLL-1',
        segmentId: 's',
        vendorId: 'v',
        modelId: 'm',
        type: 'lampFailure',
        ts: T0,
        active: random() < 0.5,
        value: pick(numbers),
        detail: pick(texts),
        seq: pick(numbers),
      };
      const status = {
        lampId: 'DOLL-1',
        ts: T0,
        ...(random() < 0.7 ? { state: pick(texts) } : {}),
      };
      for (const [m, records] of [
        ['telemetry', [tele, tele]],
        ['event', [event]],
        ['status', [status, tele]],
      ] as const) {
        expect(encoded(m, records, cache)).toBe(oneByOne(m, records));
      }
    }
  });
  it('encodes bodies far larger than its scratch buffer, with long texts among numbers', () => {
    const cache: PrefixCache = new Map();
    const long = 'é"\\'.repeat(20_000);
    const records = Array.from({ length: 3_000 }, (_, i) => ({
      lampId: `DOLL-${i % 280}`,
      segmentId: 's',
      vendorId: 'v',
      modelId: 'm',
      type: 'lampFailure',
      ts: T0 + i,
      active: true,
      value: i / 7,
      detail: i % 500 === 0 ? long : `d${i}`,
      seq: i,
    }));
    const text = oneByOne('event', records);
    expect(text.length).toBeGreaterThan(200_000);
    expect(encoded('event', records, cache)).toBe(text);
  });
  it('keeps one prefix cache per measurement: a lamp with the same tags in two measurements', () => {
    const cache: PrefixCache = new Map();
    const tags = { lampId: 'DOLL-0001', segmentId: 's', vendorId: 'v', modelId: 'm' };
    const status = { ...tags, state: 'online', ts: T0 };
    encodeLines('telemetry', [{ ...reading(0, 1), ...tags }], cache);
    expect(encoded('status', [status], cache)).toBe(toLine('status', status, T0));
    // Same lamp, another tag value: a new prefix, not the cached one.
    const moved = { ...status, segmentId: 't' };
    expect(encoded('status', [moved], cache)).toBe(toLine('status', moved, T0));
  });
});

describe('write errors', () => {
  it.each([
    [400, false],
    [413, false],
    [422, false],
    [401, true],
    [403, true],
    [404, true],
    [408, true],
    [429, true],
    [500, true],
    [503, true],
  ])('HTTP %i on a write is retryable: %s', (status, retryable) => {
    expect(retryableWriteStatus(status)).toBe(retryable);
  });
});

describe('InfluxQL building', () => {
  it.each([
    ['plain', 'DOLL-0001', "'DOLL-0001'"],
    ['quote', "a' OR 1=1 --", "'a\\' OR 1=1 --'"],
    ['backslash before quote', "a\\' OR x", "'a\\\\\\' OR x'"],
    ['newline', 'a\nb', "'a\\nb'"],
  ])('quotes a string literal: %s', (_, input, expected) => {
    expect(quoteString(input)).toBe(expected);
  });
  it('quotes identifiers and whitelists columns', () => {
    expect(quoteIdent('on')).toBe('"on"');
    expect(quoteIdent('a"b')).toBe('"a\\"b"');
    expect(column('telemetry', 'activePower')).toBe('"activePower"');
    expect(() => column('telemetry', 'activePower") FROM x --')).toThrow();
  });
  it('only writes integer time literals', () => {
    expect(timeLiteral(T0)).toBe(`${T0}ms`);
    expect(() => timeLiteral(1.5)).toThrow();
    expect(() => timeLiteral(Number.NaN)).toThrow();
  });
  it('builds a history query from validated input', () => {
    const q = HistoryQuerySchema.parse({
      field: 'activePower',
      agg: 'mean',
      from: T0,
      to: T0 + 600_000,
      bucketMs: 60_000,
      segmentId: 'seg-01',
    });
    expect(historyQuery(q)).toBe(
      `SELECT mean("activePower") AS "value" FROM "telemetry" WHERE time >= ${T0}ms AND time < ${T0 + 600_000}ms` +
        ` AND "segmentId" = 'seg-01' GROUP BY time(60000ms), "lampId" fill(none)`,
    );
  });
  it('maps the v2 write path to /write on InfluxDB before 1.8', () => {
    expect(
      v1WritePath('/api/v2/write?org=&bucket=gadelys&precision=ms', {
        database: 'g d',
        retentionPolicy: 'autogen',
      }),
    ).toBe('/write?db=g+d&precision=ms&rp=autogen');
    expect(v1WritePath('/query?q=x', { database: 'g' })).toBe('/query?q=x');
    expect(parseInfluxVersion('1.6.7~rc0')).toMatchObject({ major: 1, minor: 6 });
    expect(parseInfluxVersion('v2.7.4')).toMatchObject({ major: 2, minor: 7 });
  });
});

describe('escaped literals against a real influxd', () => {
  let influxd: TestInfluxd;
  beforeAll(async () => {
    influxd = await startInfluxd();
  });
  afterAll(async () => {
    await influxd?.stop();
  });
  it('a hostile string literal matches nothing and changes nothing', async () => {
    const store = await createInfluxStore({ url: influxd.url, database: influxd.database });
    await store.writeTelemetry([reading(0, 1), reading(1, 1)]);
    for (const hostile of [
      `DOLL-0001' OR "lampId" =~ /.*/ --`,
      `x'; DROP MEASUREMENT "telemetry"; SELECT '`,
      `\\' OR 1=1`,
    ]) {
      const rows = await influxQuery(
        influxd.url,
        influxd.database,
        `SELECT * FROM "telemetry" WHERE "lampId" = ${quoteString(hostile)}`,
      );
      expect(rows).toEqual([]);
    }
    const all = await influxQuery(
      influxd.url,
      influxd.database,
      'SELECT count("seq") FROM "telemetry"',
    );
    expect(all[0]?.values[0]?.[1]).toBe(2);
    await store.close();
  });
});

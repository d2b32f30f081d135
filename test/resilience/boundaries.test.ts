/**
 * Bad input at the boundaries that need no server: the message decoder (every MQTT payload and
 * topic goes through it), the inventory importers (CSV and GeoJSON, as uploaded), and every
 * service's environment. Generated input, seeded: none of them may throw anything but their own
 * error, and every refusal says where and why. Counts go to the resilience report.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ENV_SCHEMAS } from '../../services/lab/envSchemas.ts';
import { loadLabConfigs } from '../../services/lab/lab.ts';
import { ingest } from '../../services/processor/ingest.ts';
import { ConfigError, loadConfig } from '../../shared/config.ts';
import { DeadLetter } from '../../shared/contract/alarms.ts';
import {
  deadLetterFor,
  decodeMessage,
  type RejectCode,
  SCHEMAS,
} from '../../shared/contract/decode.ts';
import { LIMITS } from '../../shared/contract/limits.ts';
import { isValidId, topics } from '../../shared/contract/topics.ts';
import {
  CSV_COLUMNS,
  importInventoryCsv,
  importInventoryGeoJson,
  loadCatalog,
  loadRegistry,
} from '../../shared/registry/index.ts';
import { LampPost } from '../../shared/registry/schemas.ts';
import { reading } from '../processor/harness.ts';
import { params, timeoutMs } from './fuzz.ts';
import { recordCounts } from './report.ts';

vi.setConfig({ testTimeout: timeoutMs(60_000) });

const registry = loadRegistry();
const catalog = loadCatalog();
const lampIds = registry.lamps.map((l) => l.id);
const NOW = Date.UTC(2026, 11, 2, 12);

const counts = { decode: [0, 0], import: [0, 0], env: [0, 0] } as Record<string, [number, number]>;
const count = (what: string, refused: boolean) => {
  const c = counts[what]!;
  c[0]++;
  if (refused) c[1]++;
};
afterAll(async () => {
  for (const [what, [attempts, refused]] of Object.entries(counts))
    await recordCounts(`bad input: ${what} (generated)`, {
      attempts,
      refused,
      lost: 0,
      duplicated: 0,
    });
});

const CODES: RejectCode[] = [
  'unknown_topic',
  'too_large',
  'not_json',
  'schema',
  'topic_mismatch',
  'clock_skew',
  'unknown_lamp',
];

/** Strings an attacker tries first, beside random ones. */
const HOSTILE = [
  '',
  ' ',
  '\u0000',
  '../../etc/passwd',
  "' OR '1'='1",
  '"; DROP TABLE telemetry; --',
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style probe, meant literally
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  '%00',
  '\uFEFF',
  '\uD800',
  'NaN',
  'Infinity',
  '-0',
  '1e400',
  '9007199254740993',
  'x'.repeat(5000),
];
const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ maxLength: 20 }),
);

describe('the message decoder', () => {
  const lampId = fc.constantFrom(...lampIds);
  const topic = fc.oneof(
    lampId.map((id) => topics.telemetry(id)),
    lampId.map((id) => topics.status(id)),
    lampId.map((id) => topics.event(id)),
    lampId.map((id) => topics.ack(id)),
    lampId.map((id) => topics.command(id)),
    fc.constantFrom(...registry.segments.map((s) => topics.batch(s.id))),
    hostileString.map((s) => `gadelys/v1/lamp/${s}/telemetry`),
    hostileString.map((s) => `gadelys/v1/${s}`),
    hostileString,
  );
  /** A valid reading with one field replaced by something else, or removed, or one added. */
  const mutated = fc
    .tuple(
      lampId,
      fc.constantFrom(...Object.keys(reading('x', 0, 0)), 'extra', '__proto__'),
      fc.oneof(fc.jsonValue(), hostileString, fc.double(), fc.constant(undefined)),
    )
    .map(([id, key, value]) => {
      const r: Record<string, unknown> = { ...reading(id, 1, NOW - 60_000) };
      if (value === undefined) delete r[key];
      else r[key] = value;
      return JSON.stringify(r) ?? 'null';
    });
  /** A reading of a registry lamp, every value anywhere in its range: the decoder must take it. */
  const valid = fc
    .record({
      lampId,
      seq: fc.nat(),
      ago: fc.integer({ min: 0, max: LIMITS.maxPastSkewMs - 1000 }),
      level: fc.double({ min: 0, max: 100, noNaN: true }),
      activePower: fc.double({ min: 0, max: 5000, noNaN: true }),
      powerFactor: fc.double({ min: 0, max: 1, noNaN: true }),
      gearTemperature: fc.double({ min: -60, max: 150, noNaN: true }),
      illuminance: fc.option(fc.double({ min: 0, max: 200_000, noNaN: true }), { nil: undefined }),
    })
    .map(({ ago, level, illuminance, ...r }) =>
      JSON.stringify({
        ...reading(r.lampId, 0, NOW - ago),
        ...r,
        targetLevel: level,
        actualLevel: level,
        ...(illuminance === undefined ? {} : { illuminance }),
      }),
    );
  const payload = fc.oneof(
    valid,
    fc.uint8Array({ maxLength: 300 }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? ''),
    hostileString,
    mutated,
    fc.constant('x'.repeat(LIMITS.maxPayloadBytes + 1)),
  );

  it('takes every valid reading, whatever its values within their ranges', () => {
    fc.assert(
      fc.property(lampId, valid, (id, p) => {
        const json = JSON.parse(p) as { lampId: string };
        const t = topics.telemetry(json.lampId);
        const decoded = decodeMessage(t, p, { now: NOW });
        expect(decoded.ok, JSON.stringify(decoded)).toBe(true);
        expect(ingest(registry, t, Buffer.from(p), NOW).ok).toBe(true);
        count('decode', false);
        // ...and the same reading on another lamp's topic is refused as a mismatch
        if (id !== json.lampId)
          expect(decodeMessage(topics.telemetry(id), p, { now: NOW })).toMatchObject({
            ok: false,
            code: 'topic_mismatch',
          });
      }),
      params(500, 10_000),
    );
  });

  it('never throws; a rejection has a known code, a reason and a dead letter the contract accepts', () => {
    fc.assert(
      fc.property(topic, payload, (t, p) => {
        const decoded = decodeMessage(t, p, { now: NOW });
        const taken = ingest(
          registry,
          t,
          typeof p === 'string' ? Buffer.from(p) : Buffer.from(p),
          NOW,
        );
        count('decode', !taken.ok);
        if (decoded.ok) {
          // what the fast path accepts, zod accepts too
          expect(SCHEMAS[decoded.kind].safeParse(decoded.value).success).toBe(true);
          return;
        }
        expect(CODES).toContain(decoded.code);
        expect(decoded.reason.length).toBeGreaterThan(0);
        const letter = deadLetterFor(t, p, decoded, NOW);
        expect(DeadLetter.safeParse(letter).success, JSON.stringify(letter)).toBe(true);
        expect(letter.reason.startsWith(`${decoded.code}: `)).toBe(true);
        // the processor rejects whatever the decoder rejects, for the same reason
        expect(taken.ok).toBe(false);
        if (!taken.ok) expect(taken.code).toBe(decoded.code);
      }),
      params(2_000, 50_000),
    );
  });
});

describe('the inventory importers', () => {
  const model = catalog.models[0]!.id;
  const cell = fc.oneof(
    hostileString,
    fc.constantFrom(model, 's1', 'c1', 'A1', '12.35', '55.68', '0', '8', '-1', '"q,uoted"'),
    fc.double().map(String),
  );
  const header = fc.oneof(
    fc.constant([...CSV_COLUMNS]),
    fc.shuffledSubarray([...CSV_COLUMNS], { minLength: 1 }),
    fc.array(fc.oneof(fc.constantFrom(...CSV_COLUMNS), hostileString), { maxLength: 10 }),
  );
  const csv = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 400 }),
    fc
      .tuple(
        header,
        fc.array(fc.array(cell, { maxLength: 11 }), { maxLength: 12 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.boolean(),
      )
      .map(
        ([h, rows, eol, bom]) =>
          (bom ? '\uFEFF' : '') + [h.join(','), ...rows.map((r) => r.join(','))].join(eol),
      ),
  );
  const position = fc.oneof(
    fc.tuple(fc.double({ min: 12.3, max: 12.4 }), fc.double({ min: 55.6, max: 55.7 })),
    fc.array(fc.oneof(fc.double(), fc.jsonValue()), { maxLength: 4 }),
  );
  const feature = fc.oneof(
    fc.record({
      type: fc.constant('Feature'),
      geometry: fc.oneof(
        fc.record({ type: fc.constant('Point'), coordinates: position }),
        fc.record({
          type: fc.constant('LineString'),
          coordinates: fc.array(position, { maxLength: 4 }),
        }),
        fc.jsonValue(),
      ),
      properties: fc.oneof(
        fc.dictionary(fc.constantFrom(...CSV_COLUMNS, 'kind', 'name', 'id'), cell),
        fc.jsonValue(),
      ),
    }),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const geojson = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? ''),
    fc
      .record({
        type: fc.constantFrom('FeatureCollection', 'Feature', 'x'),
        features: fc.array(feature, { maxLength: 8 }),
        approximate: fc.oneof(fc.boolean(), fc.jsonValue()),
      })
      .map((v) => JSON.stringify(v)),
  );

  /** A good file of n posts along one street, and maybe one cell of it replaced. */
  const goodCsv = fc
    .tuple(
      fc.integer({ min: 1, max: 30 }),
      fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 6 }), hostileString), {
        nil: undefined,
      }),
    )
    .map(([n, corrupt]) => {
      const rows = Array.from({ length: n }, (_, i) => [
        `P${i + 1}`,
        String(12.35 + i * 0.0004),
        '55.68',
        `s${Math.floor(i / 10)}`,
        `c${Math.floor(i / 10)}`,
        model,
        `Street ${Math.floor(i / 10)}`,
      ]);
      if (corrupt) rows[corrupt[0] % n]![corrupt[1]] = corrupt[2];
      const text = [
        'id,lon,lat,segmentId,controllerId,modelId,segmentName',
        ...rows.map((r) => r.join(',')),
      ];
      return { text: text.join('\n'), n, corrupted: corrupt !== undefined };
    });

  const check = (text: string, r: ReturnType<typeof importInventoryCsv>) => {
    count('import', !r.ok);
    if (r.ok) {
      expect(r.inventory.lamps.length).toBeGreaterThan(0);
      for (const lamp of r.inventory.lamps) {
        expect(LampPost.safeParse(lamp).success).toBe(true);
        expect(isValidId(lamp.id)).toBe(true);
      }
      // names are shown in the dashboard and printed in reports: bounded like every text field
      for (const seg of r.inventory.segments) {
        expect(typeof seg.name).toBe('string');
        expect(seg.name.length, seg.name.slice(0, 40)).toBeLessThanOrEqual(LIMITS.maxTextLength);
      }
      return;
    }
    expect(r.errors.length).toBeGreaterThan(0);
    const lines = text.split(/\r\n|\r|\n/).length;
    for (const e of r.errors) {
      expect(e.where, JSON.stringify(e)).toMatch(/^(line \d+|feature \d+|segment |csv|geojson)/);
      expect(e.field.length).toBeGreaterThan(0);
      expect(e.message.length).toBeGreaterThan(0);
      const line = /^line (\d+)/.exec(e.where)?.[1];
      if (line) expect(Number(line)).toBeLessThanOrEqual(lines);
    }
  };

  it('CSV: never throws; refuses with a place, a field and a message; what it accepts is valid', () => {
    fc.assert(
      fc.property(csv, (text) => check(text, importInventoryCsv(text, catalog))),
      params(800, 20_000),
    );
  });

  it('CSV: a good file imports whole; one bad cell in it is refused or imports the same posts', () => {
    fc.assert(
      fc.property(goodCsv, ({ text, n, corrupted }) => {
        const r = importInventoryCsv(text, catalog);
        check(text, r);
        if (!corrupted) expect(r.ok, JSON.stringify(r)).toBe(true);
        if (r.ok) expect(r.inventory.lamps).toHaveLength(n);
      }),
      params(500, 5_000),
    );
  });

  // Found by the property above: a cell's unclosed quote swallowed every later line (13 posts
  // imported as 12, no error), and segment names had no length limit (100 KB were taken).
  it('CSV: an unclosed quote is refused at its line, not read as the rest of the file', () => {
    const text = [
      'id,lon,lat,segmentId,controllerId,modelId,segmentName',
      `P1,12.35,55.68,s1,c1,${model},"Lysvej`,
      `P2,12.3504,55.68,s1,c1,${model},Lysvej`,
    ].join('\n');
    const r = importInventoryCsv(text, catalog);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors).toContainEqual({
        where: 'line 2',
        field: '(row)',
        message: 'a quoted cell starts here and is never closed',
      });
  });

  it('CSV and GeoJSON: a segment name beyond the text limit is refused', () => {
    const long = 'x'.repeat(LIMITS.maxTextLength + 1);
    const csv = importInventoryCsv(
      `id,lon,lat,segmentId,controllerId,modelId,segmentName\nP1,12.35,55.68,s1,c1,${model},${long}`,
      catalog,
    );
    expect(csv.ok ? [] : csv.errors.map((e) => `${e.where} ${e.field}`)).toEqual([
      'line 2 segmentName',
    ]);
    const point = (id: string, extra = {}) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [12.35, 55.68] },
      properties: { id, segmentId: 's1', controllerId: 'c1', modelId: model, ...extra },
    });
    const line = {
      type: 'Feature',
      geometry: {
        type: 'LineString',
        coordinates: [
          [12.35, 55.68],
          [12.36, 55.68],
        ],
      },
      properties: { kind: 'segment', segmentId: 's1', controllerId: 'c1', name: long },
    };
    const geo = importInventoryGeoJson(
      JSON.stringify({
        type: 'FeatureCollection',
        features: [point('P1', { segmentName: long }), line],
      }),
      catalog,
    );
    expect(geo.ok ? [] : geo.errors.map((e) => `${e.where} ${e.field}`)).toEqual([
      'feature 1 (features[0]) segmentName',
      'feature 2 (features[1]) name',
    ]);
  });

  it('GeoJSON: never throws; refuses with a place, a field and a message; what it accepts is valid', () => {
    fc.assert(
      fc.property(geojson, (text) => check(text, importInventoryGeoJson(text, catalog))),
      params(800, 20_000),
    );
  });
});

describe('environment variables', () => {
  const schemaKeys = Object.fromEntries(
    Object.entries(ENV_SCHEMAS).map(([name, s]) => [name, Object.keys(s.shape)]),
  );
  const allKeys = [...new Set(Object.values(schemaKeys).flat())];
  const value = fc.oneof(
    hostileString,
    fc.constantFrom('0', '-1', '65536', '1.5', '1e9', 'true', 'yes', 'maybe', 'http://', 'x:y'),
    fc.integer().map(String),
    fc.double().map(String),
  );
  const source = fc.dictionary(fc.constantFrom(...allKeys), value, { maxKeys: 8 });

  /** One problem line: the variable, its value (quoted) or unset, and a message. */
  const problemLine = /^([A-Z][A-Z0-9_]*)=("(?:[^"\\]|\\.)*"|unset): .+/s;

  it('every service: a config or a ConfigError that names each bad variable and its value', () => {
    fc.assert(
      fc.property(source, (env) => {
        let refused = false;
        for (const [name, schema] of Object.entries(ENV_SCHEMAS)) {
          try {
            loadConfig(name, schema, env);
          } catch (err) {
            refused = true;
            expect(err, String(err)).toBeInstanceOf(ConfigError);
            const { problems } = err as ConfigError;
            expect(problems.length).toBeGreaterThan(0);
            for (const p of problems) {
              const m = problemLine.exec(p);
              expect(m, p).not.toBeNull();
              expect(schemaKeys[name], p).toContain(m![1]);
            }
          }
        }
        // The lab loads every service's config at once and lists all their problems together.
        try {
          loadLabConfigs(env);
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(ConfigError);
          expect(refused, `only the lab refused ${JSON.stringify(env)}`).toBe(true);
        }
        count('env', refused);
      }),
      params(300, 5_000),
    );
  });
});

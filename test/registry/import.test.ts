import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatImportError,
  importInventoryCsv,
  importInventoryGeoJson,
  loadCatalog,
  loadRegistry,
  RegistryError,
} from '../../shared/registry/index.ts';

const catalog = loadCatalog();
const model = catalog.models[0]!.id;
const header = 'id,lon,lat,segmentId,controllerId,modelId,distanceM,poleHeightM,segmentName';

const errorsOf = (r: ReturnType<typeof importInventoryCsv>) =>
  r.ok ? [] : r.errors.map(formatImportError);

describe('CSV inventory import', () => {
  it('imports a good file, quoted names included', () => {
    const csv = [
      header,
      `A1,12.35,55.68,s1,c1,${model},0,8,"Lysvej, north"`,
      `A2,12.3504,55.68,s1,c1,${model},26,8,"Lysvej, north"`,
      `B1,12.3508,55.68,s2,c2,${model},52,10,`,
    ].join('\r\n');
    const r = importInventoryCsv(csv, catalog);
    expect(errorsOf(r)).toEqual([]);
    if (!r.ok) return;
    expect(r.inventory.lamps.map((l) => l.id)).toEqual(['A1', 'A2', 'B1']);
    expect(r.inventory.segments.map((s) => [s.id, s.name])).toEqual([
      ['s1', 'Lysvej, north'],
      ['s2', 's2'],
    ]);
    expect(r.inventory.approximate).toBe(false);
  });

  it('computes distance along the route and default pole height when absent', () => {
    const csv = [
      'id,lon,lat,segmentId,controllerId,modelId',
      `A1,12.35,55.68,s1,c1,${model}`,
      `A2,12.3505,55.68,s1,c1,${model}`,
    ].join('\n');
    const r = importInventoryCsv(csv, catalog);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.inventory.lamps[0]!.distanceM).toBe(0);
    expect(r.inventory.lamps[1]!.distanceM).toBeCloseTo(31.4, 0);
    expect(r.inventory.lamps[1]!.poleHeightM).toBe(8);
  });

  it.each([
    [
      'a bad number',
      `${header}\nA1,east,55.68,s1,c1,${model},0,8,`,
      ['line 2, field lon: expected a number, got "east"'],
    ],
    [
      'latitude out of range',
      `${header}\nA1,12.35,95,s1,c1,${model},0,8,`,
      ['line 2, field lat: Too big: expected number to be <=90'],
    ],
    [
      'an unknown model',
      `${header}\nA1,12.35,55.68,s1,c1,no-such-model,0,8,`,
      ['line 2, field modelId: unknown luminaire model no-such-model'],
    ],
    [
      'a duplicate id',
      `${header}\nA1,12.35,55.68,s1,c1,${model},0,8,\nA1,12.36,55.68,s1,c1,${model},30,8,`,
      ['line 3, field id: duplicate lamp id A1, first at line 2'],
    ],
    [
      'distance going backwards',
      `${header}\nA1,12.35,55.68,s1,c1,${model},30,8,\nA2,12.36,55.68,s1,c1,${model},20,8,`,
      ['line 3, field distanceM: distance along the route must increase: 20 after 30 at line 2'],
    ],
    [
      'a hostile id',
      `${header}\nA/1,12.35,55.68,s1,c1,${model},0,8,`,
      [
        'line 2, field id: ids use letters, digits, ".", "_" and "-", starting with a letter or digit',
      ],
    ],
    [
      'a missing id',
      `${header}\n,12.35,55.68,s1,c1,${model},0,8,`,
      ['line 2, field id: Too small: expected string to have >=1 characters'],
    ],
    [
      'a short row',
      `${header}\nA1,12.35,55.68`,
      ['line 2, field (row): has 3 cells, the header has 9'],
    ],
    [
      'a missing column',
      'id,lon,lat,segmentId,controllerId\nA1,1,2,s,c',
      ['line 1, field modelId: required column is missing'],
    ],
    [
      'an unknown column',
      `${header},colour\nA1,12.35,55.68,s1,c1,${model},0,8,,red`,
      [expect.stringMatching(/^line 1, field colour: unknown column; expected id, lon/)],
    ],
    ['an empty file', '', ['line 1, field (header): the file is empty']],
    ['only a header', header, ['csv, field (file): no lamp posts found']],
  ])('rejects %s with the exact error', (_name, csv, expected) => {
    expect(errorsOf(importInventoryCsv(csv, catalog))).toEqual(expected);
  });

  it('lists every problem of the file in file order, structural ones included', () => {
    const csv = [
      `${header},colour`,
      `A1,12.35,55.68,s1,c1,${model},0,8,,red`,
      'A2,12.3504,55.68',
      `A3,east,55.68,s1,c1,no-such-model,52,8,,blue`,
      `A1,12.3512,55.68,s2,c1,${model},80,8,,green`,
    ].join('\n');
    expect(errorsOf(importInventoryCsv(csv, catalog))).toEqual([
      expect.stringMatching(/^line 1, field colour: unknown column/),
      'line 3, field (row): has 3 cells, the header has 10',
      'line 4, field lon: expected a number, got "east"',
      'line 5, field id: duplicate lamp id A1, first at line 2',
      'segment s2, field controllerId: c1 already controls segment s1',
    ]);
  });

  it('names a missing column once, and still checks the rows', () => {
    const csv = ['id,lon,lat,segmentId,controllerId', 'A1,12.35,95,s1,c1', 'A2,12.36,55.68,s1,c1'];
    expect(errorsOf(importInventoryCsv(csv.join('\n'), catalog))).toEqual([
      'line 1, field modelId: required column is missing',
      'line 2, field lat: Too big: expected number to be <=90',
    ]);
  });

  it('refuses a column given twice', () => {
    const csv = `${header},id\nA1,12.35,55.68,s1,c1,${model},0,8,,A2`;
    expect(errorsOf(importInventoryCsv(csv, catalog))).toEqual([
      'line 1, field id: column appears 2 times',
    ]);
  });

  it("imports README's example inventory", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /```csv\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'a ```csv block in README.md').toBeDefined();
    const r = importInventoryCsv(block!, catalog, 'README.md');
    expect(errorsOf(r)).toEqual([]);
    expect(r.ok && r.inventory.lamps.length).toBeGreaterThan(0);
  });

  it('counts lines across quoted newlines', () => {
    const csv = `${header}\nA1,12.35,55.68,s1,c1,${model},0,8,"two\nlines"\nA2,x,55.68,s1,c1,${model},30,8,`;
    expect(errorsOf(importInventoryCsv(csv, catalog))).toEqual([
      'line 4, field lon: expected a number, got "x"',
    ]);
  });
});

describe('GeoJSON inventory import', () => {
  const point = (id: string, lon: number, props: Record<string, unknown> = {}) => ({
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [lon, 55.68] },
    properties: { id, segmentId: 's1', controllerId: 'c1', modelId: model, ...props },
  });
  const line = (segmentId: string, controllerId: unknown, props: Record<string, unknown> = {}) => ({
    type: 'Feature',
    geometry: {
      type: 'LineString',
      coordinates: [
        [12.35, 55.68],
        [12.36, 55.68],
      ],
    },
    properties: { kind: 'segment', segmentId, controllerId, ...props },
  });

  it('imports points and segment lines', () => {
    const doc = {
      type: 'FeatureCollection',
      features: [line('s1', 'c1', { name: 'Lysvej' }), point('A1', 12.35), point('A2', 12.3505)],
    };
    const r = importInventoryGeoJson(JSON.stringify(doc), catalog);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.inventory.lamps.length).toBe(2);
    expect(r.inventory.segments[0]).toMatchObject({ id: 's1', name: 'Lysvej' });
  });

  it('refuses controller ids that are not ids, are lamps, serve two segments or disagree', () => {
    const errors = (features: unknown[]) =>
      errorsOf(
        importInventoryGeoJson(JSON.stringify({ type: 'FeatureCollection', features }), catalog),
      );
    // An ACL line smuggled in through a controller id; a missing one.
    expect(errors([line('s1', 'ctl-1\ntopic readwrite #'), point('A1', 12.35)])).toEqual([
      expect.stringMatching(/^feature 1 \(features\[0\]\), field controllerId: expected an id/),
    ]);
    expect(errors([line('s1', undefined), point('A1', 12.35)])).toEqual([
      expect.stringMatching(/^feature 1 \(features\[0\]\), field controllerId: expected an id/),
    ]);
    // A controller that is also a lamp would get that lamp's rights and the segment's.
    expect(errors([line('s1', 'A1'), point('A1', 12.35, { controllerId: 'A1' })])).toEqual([
      'segment s1, field controllerId: A1 is also a lamp id',
    ]);
    expect(
      errors([point('A1', 12.35), point('B1', 12.351, { segmentId: 's2', controllerId: 'c1' })]),
    ).toEqual(['segment s2, field controllerId: c1 already controls segment s1']);
    expect(errors([line('s1', 'c9'), point('A1', 12.35)])).toEqual([
      'feature 2 (features[1]), field controllerId: c1, but segment s1 is controlled by c9',
    ]);
  });

  it('lists every problem of the file in file order, numbering features from 1', () => {
    const polygon = { type: 'Feature', geometry: { type: 'Polygon', coordinates: [] } };
    const features = [
      polygon,
      point('A1', 12.35, { modelId: 'x' }),
      line('s1', 'c9'),
      point('A2', 12.3505),
      { type: 'Feature', geometry: { type: 'Point', coordinates: [12.36] }, properties: {} },
    ];
    const r = importInventoryGeoJson(
      JSON.stringify({ type: 'FeatureCollection', features }),
      catalog,
    );
    expect(errorsOf(r)).toEqual([
      'feature 1 (features[0]), field geometry.type: expected Point, got "Polygon"',
      'feature 2 (features[1]), field modelId: unknown luminaire model x',
      'feature 2 (features[1]), field controllerId: c1, but segment s1 is controlled by c9',
      'feature 4 (features[3]), field controllerId: c1, but segment s1 is controlled by c9',
      'feature 5 (features[4]), field geometry.coordinates: expected [lon, lat]',
      'feature 5 (features[4]), field id: Invalid input: expected string, received undefined',
      'feature 5 (features[4]), field segmentId: Invalid input: expected string, received undefined',
      'feature 5 (features[4]), field controllerId: Invalid input: expected string, received undefined',
      'feature 5 (features[4]), field modelId: Invalid input: expected string, received undefined',
    ]);
  });

  it('refuses a segment line without two positions', () => {
    const bad = { ...line('s1', 'c1'), geometry: { type: 'LineString', coordinates: [[12.35]] } };
    const doc = { type: 'FeatureCollection', features: [bad, point('A1', 12.35)] };
    expect(errorsOf(importInventoryGeoJson(JSON.stringify(doc), catalog))).toEqual([
      'feature 1 (features[0]), field geometry.coordinates: expected at least two [lon, lat] positions',
    ]);
  });

  it.each([
    [
      'an empty collection',
      '{"type":"FeatureCollection","features":[]}',
      ['geojson, field (file): no lamp posts found'],
    ],
    ['not JSON', '{', [expect.stringMatching(/^geojson, field \(file\): not JSON/)]],
    [
      'not a FeatureCollection',
      '{"type":"Feature"}',
      ['geojson, field type: expected a GeoJSON FeatureCollection'],
    ],
    [
      'a polygon',
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          { type: 'Feature', geometry: { type: 'Polygon', coordinates: [] }, properties: {} },
        ],
      }),
      ['feature 1 (features[0]), field geometry.type: expected Point, got "Polygon"'],
    ],
    [
      'an unknown model',
      JSON.stringify({
        type: 'FeatureCollection',
        features: [point('A1', 12.35, { modelId: 'x' })],
      }),
      ['feature 1 (features[0]), field modelId: unknown luminaire model x'],
    ],
    [
      'an unknown property',
      JSON.stringify({
        type: 'FeatureCollection',
        features: [point('A1', 12.35, { colour: 'red' })],
      }),
      ['feature 1 (features[0]), field (row): Unrecognized key: "colour"'],
    ],
    [
      'a longitude out of range',
      JSON.stringify({ type: 'FeatureCollection', features: [point('A1', 200)] }),
      ['feature 1 (features[0]), field lon: Too big: expected number to be <=180'],
    ],
  ])('rejects %s with the exact error', (_name, text, expected) => {
    const r = importInventoryGeoJson(text, catalog);
    expect(r.ok ? [] : r.errors.map(formatImportError)).toEqual(expected);
  });
});

describe('loadRegistry', () => {
  it('loads a CSV inventory by extension and fails with every problem listed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gadelys-registry-'));
    const good = join(dir, 'survey.csv');
    writeFileSync(good, `${header}\nS1,12.35,55.68,s1,c1,${model},0,8,Lysvej\n`);
    const registry = loadRegistry(good);
    expect(registry.lamps.map((l) => l.id)).toEqual(['S1']);
    expect(registry.approximate).toBe(false);
    const bad = join(dir, 'bad.csv');
    writeFileSync(
      bad,
      `${header}\nS1,x,55.68,s1,c1,${model},0,8,\nS2,12.35,y,s1,c1,${model},0,8,\n`,
    );
    expect(() => loadRegistry(bad)).toThrow(RegistryError);
    try {
      loadRegistry(bad);
    } catch (err) {
      expect((err as RegistryError).errors).toEqual([
        'line 2, field lon: expected a number, got "x"',
        'line 3, field lat: expected a number, got "y"',
      ]);
    }
  });
});

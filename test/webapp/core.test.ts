/**
 * The web app's pure parts, without a browser: hash routes, the map's projection, spatial grid
 * and viewport, which mark a lamp gets, and the alarm bits the map draws from.
 */
import { describe, expect, test } from 'vitest';
import { matchRoute, parseHash, routeHash } from '../../dashboards/src/app/router.ts';
import { AlarmBook } from '../../dashboards/src/live/alarms.ts';
import { FLAG, LiveTable, OFFLINE, ONLINE } from '../../dashboards/src/live/LiveTable.ts';
import { SpatialGrid } from '../../dashboards/src/map/grid.ts';
import { bucketOf, MARK, markOf } from '../../dashboards/src/map/marks.ts';
import { project } from '../../dashboards/src/map/projection.ts';
import { Viewport } from '../../dashboards/src/map/viewport.ts';

describe('hash routes', () => {
  const patterns = ['', 'lamp/:id', 'replay', 'sign-in'];
  test.each([
    ['#/', '', {}, ''],
    ['', '', {}, ''],
    ['#/lamp/DOLL-0007?range=7d', 'lamp/:id', { id: 'DOLL-0007' }, 'range=7d'],
    ['#/lamp/a%2Fb', 'lamp/:id', { id: 'a/b' }, ''],
    ['#/replay?t=1764650000000&speed=60', 'replay', {}, 't=1764650000000&speed=60'],
  ])('%s matches %s', (hash, pattern, params, query) => {
    const r = matchRoute(hash, patterns);
    expect(r).toMatchObject({ pattern, params });
    expect(r!.query.toString()).toBe(query);
  });
  test('unknown paths and in-page anchors match nothing', () => {
    expect(matchRoute('#/nope', patterns)).toBeUndefined();
    expect(matchRoute('#/lamp', patterns)).toBeUndefined();
    expect(parseHash('#main')).toBeUndefined();
  });
  test('routeHash builds what matchRoute reads', () => {
    const h = routeHash('lamp', 'x/y z', { range: '30d', skip: undefined });
    expect(h).toBe('#/lamp/x%2Fy%20z?range=30d');
    expect(matchRoute(h, patterns)?.params.id).toBe('x/y z');
  });
});

describe('the map', () => {
  test('projection: metres on a local plane, north up', () => {
    const p = project(
      new Float64Array([12.36, 12.36, 12.37]),
      new Float64Array([55.68, 55.69, 55.68]),
    );
    expect(p.y[1]! - p.y[0]!).toBeCloseTo(1112, -1); // 0.01 deg of latitude
    expect(p.x[2]! - p.x[0]!).toBeCloseTo(1112 * Math.cos((55.685 * Math.PI) / 180), -1);
    expect(p.bounds.maxY).toBeGreaterThan(p.bounds.minY);
  });

  test('the grid finds the same nearest point as a scan of all of them, and boxes', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const n = 5000;
    const x = new Float32Array(n).map(() => rnd() * 8000);
    const y = new Float32Array(n).map(() => rnd() * 3000);
    const grid = new SpatialGrid(x, y, { minX: 0, minY: 0, maxX: 8000, maxY: 3000 });
    for (let q = 0; q < 200; q++) {
      const px = rnd() * 8000;
      const py = rnd() * 3000;
      const radius = 40;
      let best = -1;
      let bestD = radius * radius;
      for (let i = 0; i < n; i++) {
        const d = (x[i]! - px) ** 2 + (y[i]! - py) ** 2;
        if (d <= bestD) {
          bestD = d;
          best = i;
        }
      }
      const got = grid.nearest(px, py, radius);
      if (best < 0) expect(got).toBe(-1);
      else expect((x[got]! - px) ** 2 + (y[got]! - py) ** 2).toBeCloseTo(bestD, 3);
    }
    const inBox = grid.inRect(1000, 500, 2000, 1500).sort((a, b) => a - b);
    const scan = [...x.keys()].filter(
      (i) => x[i]! >= 1000 && x[i]! <= 2000 && y[i]! >= 500 && y[i]! <= 1500,
    );
    expect(inBox).toEqual(scan);
  });

  test('zooming keeps the point under the pointer where it is; fit shows everything', () => {
    const v = new Viewport();
    v.resize(800, 600);
    v.fit({ minX: -4000, minY: -1500, maxX: 4000, maxY: 1500 }, 0);
    expect(v.sx(-4000)).toBeCloseTo(0, 5);
    expect(v.sx(4000)).toBeCloseTo(800, 5);
    const wx = v.wx(200);
    const wy = v.wy(150);
    v.zoomAt(3, 200, 150);
    expect(v.sx(wx)).toBeCloseTo(200, 5);
    expect(v.sy(wy)).toBeCloseTo(150, 5);
    v.panBy(10, -20);
    expect(v.sx(wx)).toBeCloseTo(210, 5);
    expect(v.sy(wy)).toBeCloseTo(130, 5);
  });

  test('the most serious condition decides a lamp’s mark; levels fall in 5 % buckets', () => {
    expect(markOf(ONLINE, 0, 40)).toBe(MARK.normal);
    expect(markOf(ONLINE, 0, Number.NaN)).toBe(MARK.noData);
    expect(markOf(OFFLINE, 0, 40)).toBe(MARK.offline);
    expect(markOf(OFFLINE, FLAG.commsLost, 40)).toBe(MARK.commsLost);
    expect(markOf(ONLINE, FLAG.dayBurning | FLAG.commsLost, 100)).toBe(MARK.dayBurning);
    expect(markOf(ONLINE, FLAG.supplyLoss | FLAG.dayBurning, 0)).toBe(MARK.supplyLoss);
    expect(markOf(ONLINE, FLAG.lampFailure | FLAG.supplyLoss, 0)).toBe(MARK.lampFailure);
    // alarms that have no mark of their own leave the level colour
    expect(markOf(ONLINE, FLAG.powerDeviation, 40)).toBe(MARK.normal);
    expect([0, 0.4, 5, 5.1, 50, 100].map(bucketOf)).toEqual([0, 1, 1, 2, 10, 20]);
  });
});

test('alarms mark their lamp, a segment alarm every lamp of the segment; clearing unmarks', () => {
  const t = new LiveTable();
  t.setRegistry(
    ['A', 'B', 'C'].map((id, k) => ({
      id,
      lon: 12.36,
      lat: 55.68 + k * 1e-4,
      distanceM: k * 30,
      segmentId: k < 2 ? 'seg-01' : 'seg-02',
      controllerId: 'c',
      modelId: 'm',
      poleHeightM: 8,
      vendorId: 'v',
    })),
    false,
  );
  const book = new AlarmBook();
  const base = { state: 'raised' as const, severity: 'major' as const, ts: 1, detail: '' };
  book.replace([
    { ...base, alarmId: 'lampFailure:C', type: 'lampFailure', lampId: 'C' },
    {
      ...base,
      alarmId: 'segmentSupplyLoss:seg-01',
      type: 'segmentSupplyLoss',
      segmentId: 'seg-01',
    },
  ]);
  book.markLamps(t);
  expect([...t.flags]).toEqual([FLAG.supplyLoss, FLAG.supplyLoss, FLAG.lampFailure]);
  book.apply({
    ...base,
    state: 'cleared',
    alarmId: 'segmentSupplyLoss:seg-01',
    type: 'segmentSupplyLoss',
    segmentId: 'seg-01',
  });
  book.markLamps(t);
  expect([...t.flags]).toEqual([0, 0, FLAG.lampFailure]);
  expect(book.list().map((a) => a.alarmId)).toEqual(['lampFailure:C']);
});

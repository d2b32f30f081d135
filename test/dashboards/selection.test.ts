/** The lasso's point-in-polygon rule (the map's selection layer), on shapes a hand draws. */
import { expect, test } from 'vitest';
import { insidePolygon } from '../../dashboards/src/map/selectionLayer.ts';

const square = [
  { x: 0, y: 0 },
  { x: 10, y: 0 },
  { x: 10, y: 10 },
  { x: 0, y: 10 },
];
// a U shape: the notch between its arms is outside
const u = [
  { x: 0, y: 0 },
  { x: 30, y: 0 },
  { x: 30, y: 30 },
  { x: 20, y: 30 },
  { x: 20, y: 10 },
  { x: 10, y: 10 },
  { x: 10, y: 30 },
  { x: 0, y: 30 },
];

test.each([
  [square, { x: 5, y: 5 }, true],
  [square, { x: 15, y: 5 }, false],
  [square, { x: -1, y: 5 }, false],
  [u, { x: 5, y: 20 }, true],
  [u, { x: 25, y: 20 }, true],
  [u, { x: 15, y: 20 }, false],
  [u, { x: 15, y: 5 }, true],
])('inside %#', (poly, p, inside) => {
  expect(insidePolygon(p, poly)).toBe(inside);
});

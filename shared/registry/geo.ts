const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance between two [lon, lat] points, metres. */
export function haversineM(a: readonly [number, number], b: readonly [number, number]): number {
  const dLat = rad(b[1] - a[1]);
  const dLon = rad(b[0] - a[0]);
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[1])) * Math.cos(rad(b[1])) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Length of a polyline of [lon, lat] points, metres. */
export function lineLengthM(points: readonly (readonly [number, number])[]): number {
  let total = 0;
  for (let i = 1; i < points.length; i++) total += haversineM(points[i - 1]!, points[i]!);
  return total;
}

/** Local east/north metres around an origin to [lon, lat] (equirectangular, fine at km scale). */
export function offsetToLonLat(
  origin: readonly [number, number],
  eastM: number,
  northM: number,
): [number, number] {
  const lat = origin[1] + (northM / EARTH_RADIUS_M) * (180 / Math.PI);
  const lon = origin[0] + (eastM / (EARTH_RADIUS_M * Math.cos(rad(origin[1])))) * (180 / Math.PI);
  return [lon, lat];
}

/** The point at `distanceM` along a polyline, and the index of the leg it falls on. */
export function pointAlong(
  points: readonly (readonly [number, number])[],
  distanceM: number,
): [number, number] {
  let left = distanceM;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const leg = haversineM(a, b);
    if (left <= leg || i === points.length - 1) {
      const f = leg === 0 ? 0 : Math.min(1, left / leg);
      return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
    }
    left -= leg;
  }
  const only = points[0]!;
  return [only[0], only[1]];
}

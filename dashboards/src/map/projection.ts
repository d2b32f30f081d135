/**
 * Lon/lat to metres on a local plane (equirectangular around the centre's latitude): exact
 * enough over a route of a few km, and computed once per registry, not per frame.
 */
const M_PER_DEG = (Math.PI / 180) * 6_371_000;

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export interface Projected {
  /** Metres east of the centre. */
  x: Float32Array;
  /** Metres north of the centre. */
  y: Float32Array;
  bounds: Bounds;
}

export function project(lon: Float64Array, lat: Float64Array): Projected {
  const n = lon.length;
  let minLon = Number.POSITIVE_INFINITY;
  let maxLon = Number.NEGATIVE_INFINITY;
  let minLat = Number.POSITIVE_INFINITY;
  let maxLat = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    minLon = Math.min(minLon, lon[i]!);
    maxLon = Math.max(maxLon, lon[i]!);
    minLat = Math.min(minLat, lat[i]!);
    maxLat = Math.max(maxLat, lat[i]!);
  }
  const lon0 = n > 0 ? (minLon + maxLon) / 2 : 0;
  const lat0 = n > 0 ? (minLat + maxLat) / 2 : 0;
  const kx = Math.cos((lat0 * Math.PI) / 180) * M_PER_DEG;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const bounds: Bounds = { minX: 0, minY: 0, maxX: 0, maxY: 0 };
  for (let i = 0; i < n; i++) {
    const px = (lon[i]! - lon0) * kx;
    const py = (lat[i]! - lat0) * M_PER_DEG;
    x[i] = px;
    y[i] = py;
    if (i === 0 || px < bounds.minX) bounds.minX = px;
    if (i === 0 || px > bounds.maxX) bounds.maxX = px;
    if (i === 0 || py < bounds.minY) bounds.minY = py;
    if (i === 0 || py > bounds.maxY) bounds.maxY = py;
  }
  return { x, y, bounds };
}

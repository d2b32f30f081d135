/**
 * Simulated road users for presence-adaptive lighting: cyclists and cars enter at either end of a
 * route, move along it, and are detected as they pass posts with a presence sensor. Pure: the
 * random source and time step are passed in.
 */

export interface RoadUser {
  kind: 'cyclist' | 'car';
  /** Position along the route, metres from its start. */
  x: number;
  /** Signed speed, m/s (negative: towards the start). */
  v: number;
}

/** Share of the peak traffic by local hour (0-23): busy evening, nearly empty small hours. */
export const TRAFFIC_BY_HOUR = [
  0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.6, 0.9, 1, 0.8, 0.7, 0.7, 0.7, 0.7, 0.8, 0.9, 1, 1, 0.9, 0.7,
  0.55, 0.45, 0.35, 0.25,
] as const;

const CYCLIST_SHARE = 0.6;

/** Poisson draw with a small mean (Knuth), bounded so a huge step cannot loop for long. */
export function poisson(mean: number, rnd: () => number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.round(mean + Math.sqrt(mean) * (rnd() + rnd() + rnd() - 1.5) * 2);
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rnd();
  while (p > limit && k < 200) {
    k++;
    p *= rnd();
  }
  return k;
}

export function spawnRoadUser(lengthM: number, rnd: () => number): RoadUser {
  const cyclist = rnd() < CYCLIST_SHARE;
  const speed = cyclist ? 4 + rnd() * 3 : 9 + rnd() * 6;
  const forward = rnd() < 0.5;
  return {
    kind: cyclist ? 'cyclist' : 'car',
    x: forward ? 0 : lengthM,
    v: forward ? speed : -speed,
  };
}

export interface Crossing {
  /** Route distance of the sensor post passed, metres. */
  distanceM: number;
  /** +1 moving away from the route start, -1 towards it. */
  direction: 1 | -1;
}

/**
 * Move road users by dtMs, spawn new ones (peakPerHour scaled by the hour), and return the sensor
 * posts they passed. `sensorDistances` is sorted ascending.
 */
export function stepTraffic(
  users: RoadUser[],
  opts: { lengthM: number; peakPerHour: number; localHour: number; dtMs: number },
  sensorDistances: readonly number[],
  rnd: () => number,
): { users: RoadUser[]; crossings: Crossing[] } {
  const share = TRAFFIC_BY_HOUR[Math.floor(opts.localHour) % 24] ?? 0.5;
  const arrivals = poisson((opts.peakPerHour * share * opts.dtMs) / 3_600_000, rnd);
  const all = [...users];
  for (let i = 0; i < arrivals; i++) all.push(spawnRoadUser(opts.lengthM, rnd));
  const crossings: Crossing[] = [];
  const next: RoadUser[] = [];
  for (const u of all) {
    const x0 = u.x;
    const x1 = u.x + (u.v * opts.dtMs) / 1000;
    const lo = Math.min(x0, x1);
    const hi = Math.max(x0, x1);
    const direction = u.v >= 0 ? 1 : -1;
    for (let i = lowerBound(sensorDistances, lo); i < sensorDistances.length; i++) {
      const d = sensorDistances[i]!;
      if (d > hi) break;
      // Half-open so a post is counted once: (x0, x1] moving forward, [x1, x0) moving back.
      if ((direction === 1 && d > x0) || (direction === -1 && d < x0))
        crossings.push({ distanceM: d, direction });
    }
    if (x1 >= 0 && x1 <= opts.lengthM) next.push({ ...u, x: x1 });
  }
  return { users: next, crossings };
}

/** First index whose value is >= x. */
export function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Report figures of a group of lamps from their 10-minute buckets (buckets.ts). Pure.
 *
 * Steady state: a bucket counts for the dimming curve only when every reading in it had the
 * actual level equal to the target (min = max for both, and equal to each other) and the bucket
 * before it was steady at the same level, so the level had held for at least a whole bucket
 * (the settle time) before the bucket began. A bucket that straddles a level change never counts.
 */
import { type LampBucket, type LampBuckets, REPORT_BUCKET_MS } from './buckets.ts';

export const CURVE_LEVELS = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100] as const;
/** A steady level counts for a curve point when it is this close to it, %. */
export const CURVE_TOLERANCE_PCT = 1;
/** Readings that agree within this are one level (the contract rounds levels to 0.1 %). */
const LEVEL_EPS = 0.05;
/** The settle time: a steady bucket counts when the level had held through the bucket before. */
export const SETTLE_MS = REPORT_BUCKET_MS;

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

/** The level a bucket held throughout, or undefined when it moved or missed its target. */
export function steadyLevel(b: LampBucket): number | undefined {
  const a = b.stats.actualLevel;
  const t = b.stats.targetLevel;
  if (a.min === undefined || a.max === undefined || t.min === undefined || t.max === undefined)
    return undefined;
  if (a.max - a.min > LEVEL_EPS || t.max - t.min > LEVEL_EPS) return undefined;
  if (Math.abs(a.min - t.min) > LEVEL_EPS) return undefined;
  return a.min;
}

export interface SteadyBucket {
  lampId: string;
  level: number;
  bucket: LampBucket;
}

/** Buckets in steady state that had held since the settle time before them. */
export function steadyBuckets(buckets: LampBuckets, lampIds: Iterable<string>): SteadyBucket[] {
  const out: SteadyBucket[] = [];
  for (const lampId of lampIds) {
    const list = buckets.get(lampId) ?? [];
    for (let i = 1; i < list.length; i++) {
      const b = list[i]!;
      const prev = list[i - 1]!;
      if (b.ts - prev.ts !== SETTLE_MS || b.stats.activePower.n === 0) continue;
      const level = steadyLevel(b);
      const before = steadyLevel(prev);
      if (level === undefined || before === undefined || Math.abs(level - before) > LEVEL_EPS)
        continue;
      out.push({ lampId, level, bucket: b });
    }
  }
  return out;
}

export interface CurvePoint {
  level: number;
  /** Mean active power of the steady readings at this level, W; null where there are none. */
  powerW: number | null;
  /** Readings the point rests on. */
  samples: number;
  /** Steady buckets (lamp x 10 minutes) they came from. */
  buckets: number;
}

export function dimmingCurve(steady: readonly SteadyBucket[]): CurvePoint[] {
  return CURVE_LEVELS.map((level) => {
    let sum = 0;
    let n = 0;
    let buckets = 0;
    for (const s of steady) {
      if (Math.abs(s.level - level) > CURVE_TOLERANCE_PCT) continue;
      sum += s.bucket.stats.activePower.sum;
      n += s.bucket.stats.activePower.n;
      buckets += 1;
    }
    return { level, powerW: n > 0 ? round(sum / n, 2) : null, samples: n, buckets };
  });
}

export interface Availability {
  pct: number | null;
  /** Lamp-buckets that had at least one reading, of those in which readings were expected. */
  bucketsWithData: number;
  bucketsExpected: number;
}

/**
 * Availability over the time in which reports were expected: from the first bucket in which any
 * of `reference` lamps reported (the lab or the vendor's lamps going live) or `from`, whichever
 * is later, up to the last whole bucket before `now` or `to`. Time that has not happened yet, and
 * time before the lab reported at all, count for nothing.
 */
export function availability(
  buckets: LampBuckets,
  lampIds: readonly string[],
  window: { from: number; to: number },
  firstReport: number | undefined,
  now: number,
): Availability {
  if (firstReport === undefined || lampIds.length === 0)
    return { pct: null, bucketsWithData: 0, bucketsExpected: 0 };
  const start = Math.max(
    window.from,
    Math.floor(firstReport / REPORT_BUCKET_MS) * REPORT_BUCKET_MS,
  );
  const end = Math.min(window.to, Math.floor(now / REPORT_BUCKET_MS) * REPORT_BUCKET_MS);
  const perLamp = Math.max(0, Math.ceil((end - start) / REPORT_BUCKET_MS));
  let seen = 0;
  for (const id of lampIds)
    for (const b of buckets.get(id) ?? []) if (b.ts >= start && b.ts < end && b.count > 0) seen++;
  const expected = perLamp * lampIds.length;
  return {
    pct: expected > 0 ? round(Math.min(100, (seen / expected) * 100), 2) : null,
    bucketsWithData: seen,
    bucketsExpected: expected,
  };
}

/** The first bucket start in which any of the lamps reported, or undefined. */
export function firstReportOf(
  buckets: LampBuckets,
  lampIds?: Iterable<string>,
): number | undefined {
  let first: number | undefined;
  const ids = lampIds ?? buckets.keys();
  for (const id of ids)
    for (const b of buckets.get(id) ?? [])
      if (b.count > 0) {
        if (first === undefined || b.ts < first) first = b.ts;
        break;
      }
  return first;
}

/** Spread of a cumulative counter over a lamp's buckets (max - min), or undefined. */
function spread(list: readonly LampBucket[], field: 'operatingHours' | 'switchOnCounter') {
  let min: number | undefined;
  let max: number | undefined;
  for (const b of list) {
    const s = b.stats[field];
    if (s.min !== undefined) min = min === undefined ? s.min : Math.min(min, s.min);
    if (s.max !== undefined) max = max === undefined ? s.max : Math.max(max, s.max);
  }
  return min === undefined || max === undefined ? undefined : max - min;
}

export interface Usage {
  /** Hours with the light source on in the period, summed over the lamps (burning hours). */
  operatingHours: number;
  operatingHoursPerLamp: number | null;
  switchOns: number;
  switchOnsPerLamp: number | null;
}

export function usage(buckets: LampBuckets, lampIds: readonly string[]): Usage {
  let hours = 0;
  let switches = 0;
  let lamps = 0;
  for (const id of lampIds) {
    const list = buckets.get(id) ?? [];
    const h = spread(list, 'operatingHours');
    const s = spread(list, 'switchOnCounter');
    if (h === undefined) continue;
    lamps++;
    hours += h;
    switches += s ?? 0;
  }
  return {
    operatingHours: round(hours, 2),
    operatingHoursPerLamp: lamps ? round(hours / lamps, 2) : null,
    switchOns: switches,
    switchOnsPerLamp: lamps ? round(switches / lamps, 2) : null,
  };
}

export interface PowerCreep {
  /** The steady level compared (the most common one with light on), %. */
  atLevel: number | null;
  /** Least-squares slope of steady power against operating hours, W per 1,000 h. */
  wPer1000h: number | null;
  /** The same as % of the mean power at that level per 1,000 h. */
  pctPer1000h: number | null;
  samples: number;
}

/**
 * Power creep of a constant-light-output driver: as its LEDs age it drives them harder, so
 * steady power at one level rises with operating hours. Fitted over every steady bucket of the
 * group at the most common lit level (lamps of different ages spread the hours).
 */
export function powerCreep(steady: readonly SteadyBucket[]): PowerCreep {
  const counts = new Map<number, number>();
  for (const s of steady) {
    if (s.level <= 0) continue;
    const l = Math.round(s.level);
    counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  const best = [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0];
  const none = { atLevel: null, wPer1000h: null, pctPer1000h: null, samples: 0 };
  if (!best) return none;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of steady) {
    const st = s.bucket.stats;
    if (Math.round(s.level) !== best[0] || st.operatingHours.n === 0 || st.activePower.n === 0)
      continue;
    xs.push(st.operatingHours.sum / st.operatingHours.n);
    ys.push(st.activePower.sum / st.activePower.n);
  }
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  // Hours that barely differ cannot give a slope.
  if (n < 3 || sxx < 1) return { ...none, atLevel: best[0], samples: n };
  const slope = (sxy / sxx) * 1000;
  return {
    atLevel: best[0],
    wPer1000h: round(slope, 4),
    pctPer1000h: my > 0 ? round((slope / my) * 100, 3) : null,
    samples: n,
  };
}

/**
 * Lux at the post's light sensor per watt, over steady lit buckets (the sensor sees sky light
 * too: read it at night). Null where the posts have no light sensor.
 */
export function luxPerWatt(steady: readonly SteadyBucket[]): {
  value: number | null;
  samples: number;
} {
  let lux = 0;
  let watts = 0;
  let n = 0;
  for (const s of steady) {
    const st = s.bucket.stats;
    if (s.level <= 0 || st.illuminance.n === 0 || st.activePower.n === 0) continue;
    lux += st.illuminance.sum / st.illuminance.n;
    watts += st.activePower.sum / st.activePower.n;
    n++;
  }
  return { value: n > 0 && watts > 0 ? round(lux / watts, 4) : null, samples: n };
}

/** Failures of each type per 1,000 operating hours of the group. */
export function failureRates(
  failures: readonly { type: string }[],
  operatingHours: number,
): { type: string; count: number; per1000h: number | null }[] {
  const counts = new Map<string, number>();
  for (const f of failures) counts.set(f.type, (counts.get(f.type) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([type, count]) => ({
      type,
      count,
      per1000h: operatingHours > 0 ? round((count / operatingHours) * 1000, 3) : null,
    }));
}

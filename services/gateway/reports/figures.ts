/**
 * Report figures of a group of lamps, from the steady-state tier's rows (steady.ts: per lamp,
 * hour and steady level) and 12-hour buckets of the counters (buckets.ts). Pure.
 *
 * Steady state: a minute counts for the dimming curve when its actual level equalled the
 * commanded level in every reading (min = max for both, and equal to each other) and every
 * minute with readings in the settle time before it (10 minutes) held that level too. A minute
 * that straddles a level change, and the settle time after one, never count.
 */

import type { SteadyRow } from '../../../shared/storage/port.ts';
import { ANY_LEVEL, SLOT_MS } from '../../../shared/storage/steady.ts';
import type { LampBucket, LampBuckets } from './buckets.ts';

export { SETTLE_MS } from '../../../shared/storage/steady.ts';

export const CURVE_LEVELS = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100] as const;
/** A steady level counts for a curve point when it is this close to it, %. */
export const CURVE_TOLERANCE_PCT = 1;

const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const num = (row: SteadyRow, column: string) => {
  const v = row[column];
  return typeof v === 'number' ? v : 0;
};

/** The rows of these lamps at a steady level (not the lamp-hours' totals), with their level. */
export function steadyLevels(
  rows: readonly SteadyRow[],
  lampIds: Iterable<string>,
): { level: number; row: SteadyRow }[] {
  const own = new Set(lampIds);
  const out: { level: number; row: SteadyRow }[] = [];
  for (const row of rows) {
    if (row.level === ANY_LEVEL || !own.has(row.lampId)) continue;
    const level = Number(row.level);
    if (Number.isFinite(level)) out.push({ level, row });
  }
  return out;
}

export type SteadyLevel = ReturnType<typeof steadyLevels>[number];

export interface CurvePoint {
  level: number;
  /** Mean active power of the steady readings at this level, W; null where there are none. */
  powerW: number | null;
  /** Readings the point rests on. */
  samples: number;
  /** Steady lamp-minutes they came from. */
  minutes: number;
}

export function dimmingCurve(steady: readonly SteadyLevel[]): CurvePoint[] {
  return CURVE_LEVELS.map((level) => {
    let sum = 0;
    let n = 0;
    let minutes = 0;
    for (const s of steady) {
      if (Math.abs(s.level - level) > CURVE_TOLERANCE_PCT) continue;
      const pn = num(s.row, 'activePower_n');
      if (pn === 0) continue;
      sum += num(s.row, 'activePower_sum');
      n += pn;
      minutes += s.row.minutes;
    }
    return { level, powerW: n > 0 ? round(sum / n, 2) : null, samples: n, minutes };
  });
}

export interface Availability {
  pct: number | null;
  /** Lamp-slots (10 minutes) that had at least one reading, of those in which readings were expected. */
  bucketsWithData: number;
  bucketsExpected: number;
}

/**
 * Availability over the time in which reports were expected: from the first 10-minute slot in
 * which any of the lamps reported (the lab or the vendor's lamps going live) or `from`,
 * whichever is later, up to the last whole slot before `now` or `to`. Time that has not happened
 * yet, and time before the lab reported at all, count for nothing.
 */
export function availability(
  rows: readonly SteadyRow[],
  lampIds: readonly string[],
  window: { from: number; to: number },
  firstReport: number | undefined,
  now: number,
): Availability {
  if (firstReport === undefined || lampIds.length === 0)
    return { pct: null, bucketsWithData: 0, bucketsExpected: 0 };
  const start = Math.max(window.from, Math.floor(firstReport / SLOT_MS) * SLOT_MS);
  const end = Math.min(window.to, Math.floor(now / SLOT_MS) * SLOT_MS);
  const perLamp = Math.max(0, Math.ceil((end - start) / SLOT_MS));
  const own = new Set(lampIds);
  let seen = 0;
  for (const r of rows) {
    if (r.level !== ANY_LEVEL || !own.has(r.lampId) || !r.slots) continue;
    for (let i = 0; r.slots >> i; i++) {
      const t = r.ts + i * SLOT_MS;
      if ((r.slots >> i) & 1 && t >= start && t < end) seen++;
    }
  }
  const expected = perLamp * lampIds.length;
  return {
    pct: expected > 0 ? round(Math.min(100, (seen / expected) * 100), 2) : null,
    bucketsWithData: seen,
    bucketsExpected: expected,
  };
}

/** The first minute in which any of the lamps reported, or undefined. */
export function firstReportOf(
  rows: readonly SteadyRow[],
  lampIds?: Iterable<string>,
): number | undefined {
  const own = lampIds ? new Set(lampIds) : undefined;
  let first: number | undefined;
  for (const r of rows) {
    if (r.level !== ANY_LEVEL || r.first === undefined || (own && !own.has(r.lampId))) continue;
    if (first === undefined || r.first < first) first = r.first;
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
 * steady power at one level rises with operating hours. Fitted over the steady lamp-hours of the
 * group at the most common lit level (by steady minutes; lamps of different ages spread the
 * hours): one point per lamp-hour, its mean operating hours against its mean power.
 */
export function powerCreep(steady: readonly SteadyLevel[]): PowerCreep {
  const counts = new Map<number, number>();
  for (const s of steady) {
    if (s.level <= 0) continue;
    const l = Math.round(s.level);
    counts.set(l, (counts.get(l) ?? 0) + s.row.minutes);
  }
  const best = [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0];
  const none = { atLevel: null, wPer1000h: null, pctPer1000h: null, samples: 0 };
  if (!best) return none;
  // Rows of one lamp-hour at levels that round alike are one point.
  const points = new Map<string, { h: number; hn: number; p: number; pn: number }>();
  for (const s of steady) {
    const r = s.row;
    if (Math.round(s.level) !== best[0]) continue;
    const key = `${r.lampId}\u0000${r.ts}`;
    const pt = points.get(key) ?? { h: 0, hn: 0, p: 0, pn: 0 };
    pt.h += num(r, 'operatingHours_sum');
    pt.hn += num(r, 'operatingHours_n');
    pt.p += num(r, 'activePower_sum');
    pt.pn += num(r, 'activePower_n');
    points.set(key, pt);
  }
  const xs: number[] = [];
  const ys: number[] = [];
  for (const pt of points.values()) {
    if (pt.hn === 0 || pt.pn === 0) continue;
    xs.push(pt.h / pt.hn);
    ys.push(pt.p / pt.pn);
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
 * Lux at the post's light sensor per watt: the mean illuminance of the steady lit readings that
 * have one, over the mean power of the same lamp-hours' steady readings (the sensor sees sky
 * light too: read it at night). Null where the posts have no light sensor.
 */
export function luxPerWatt(steady: readonly SteadyLevel[]): {
  value: number | null;
  samples: number;
} {
  let lux = 0;
  let luxN = 0;
  let watts = 0;
  let wattsN = 0;
  for (const s of steady) {
    const r = s.row;
    const ln = num(r, 'illuminance_n');
    const pn = num(r, 'activePower_n');
    if (s.level <= 0 || ln === 0 || pn === 0) continue;
    lux += num(r, 'illuminance_sum');
    luxN += ln;
    watts += num(r, 'activePower_sum');
    wattsN += pn;
  }
  const value = luxN > 0 && watts > 0 ? round(lux / luxN / (watts / wattsN), 4) : null;
  return { value, samples: luxN };
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

/**
 * A trial's comparison: energy per lamp-night of the lamps under test against the control group
 * at equal commanded levels, with a 95 % bootstrap confidence interval. Pure and deterministic
 * (seeded resampling): the same data give the same interval.
 *
 * Method. Each lamp-night (a lamp over one noon-to-noon night) has its energy and a commanded
 * profile: its mean commanded level in each half of the night, to the nearest 1 %. Lamp-nights
 * are compared only within a stratum (the same night and the same profile); the difference is
 * the mean over strata of (test mean - control mean), weighted by the test lamp-nights in each.
 * The interval comes from resampling lamps with replacement, each with all its lamp-nights
 * (a lamp's nights are alike, so resampling nights one by one would understate the spread),
 * test and control separately, and taking the 2.5th and 97.5th percentiles of the estimates.
 */
import { createRandom } from '../../../shared/random.ts';

export interface LampNight {
  lampId: string;
  night: string;
  kWh: number;
  /** Commanded-level profile; lamp-nights compare only within one night and profile. */
  profile: string;
}

export const TRIAL_DEFAULTS = {
  resamples: 1000,
  /** Fewer lamps than this in either group, or fewer matched test lamp-nights: no conclusion. */
  minLamps: 3,
  minMatchedLampNights: 6,
} as const;

export type Conclusion =
  | 'test uses less energy'
  | 'test uses more energy'
  | 'no difference shown'
  | 'too few data to conclude';

export interface GroupFigures {
  lamps: number;
  lampNights: number;
  kWhPerLampNight: number | null;
}

export interface Comparison {
  test: GroupFigures;
  control: GroupFigures;
  matched: { testLampNights: number; controlLampNights: number; strata: number };
  /** Test minus control, kWh per lamp-night (negative: the test lamps use less). */
  differenceKWh: number | null;
  differencePct: number | null;
  ci95KWh: { low: number; high: number } | null;
  ci95Pct: { low: number; high: number } | null;
  conclusion: Conclusion;
  bootstrap: { resamples: number; seed: number };
  /** Per night, group means only: no lamp's own figure. */
  nights: { night: string; testKWhPerLamp: number | null; controlKWhPerLamp: number | null }[];
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/** Lamp-nights per lamp as [stratum index, kWh] pairs. */
function byLamp(rows: readonly LampNight[], strata: Map<string, number>) {
  const out = new Map<string, [number, number][]>();
  for (const r of rows) {
    const key = `${r.night}\u0000${r.profile}`;
    let s = strata.get(key);
    if (s === undefined) {
      s = strata.size;
      strata.set(key, s);
    }
    const list = out.get(r.lampId);
    if (list) list.push([s, r.kWh]);
    else out.set(r.lampId, [[s, r.kWh]]);
  }
  return [...out.values()];
}

interface Sums {
  sumT: Float64Array;
  nT: Float64Array;
  sumC: Float64Array;
  nC: Float64Array;
}

function estimate(s: Sums): { diff: number; control: number; matchedT: number } | undefined {
  let weight = 0;
  let diff = 0;
  let control = 0;
  for (let i = 0; i < s.nT.length; i++) {
    const nT = s.nT[i]!;
    const nC = s.nC[i]!;
    if (nT === 0 || nC === 0) continue;
    const meanC = s.sumC[i]! / nC;
    diff += nT * (s.sumT[i]! / nT - meanC);
    control += nT * meanC;
    weight += nT;
  }
  return weight > 0
    ? { diff: diff / weight, control: control / weight, matchedT: weight }
    : undefined;
}

function accumulate(sums: Float64Array, counts: Float64Array, lamp: readonly [number, number][]) {
  for (const [s, kWh] of lamp) {
    sums[s]! += kWh;
    counts[s]! += 1;
  }
}

function percentileOf(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))));
  return sorted[i]!;
}

function groupFigures(rows: readonly LampNight[]): GroupFigures {
  const lamps = new Set(rows.map((r) => r.lampId)).size;
  const total = rows.reduce((a, r) => a + r.kWh, 0);
  return {
    lamps,
    lampNights: rows.length,
    kWhPerLampNight: rows.length ? round(total / rows.length) : null,
  };
}

function nightMeans(test: readonly LampNight[], control: readonly LampNight[]) {
  const nights = [...new Set([...test, ...control].map((r) => r.night))].sort();
  const mean = (rows: readonly LampNight[], night: string) => {
    const own = rows.filter((r) => r.night === night);
    return own.length ? round(own.reduce((a, r) => a + r.kWh, 0) / own.length) : null;
  };
  return nights.map((night) => ({
    night,
    testKWhPerLamp: mean(test, night),
    controlKWhPerLamp: mean(control, night),
  }));
}

export function compareGroups(
  test: readonly LampNight[],
  control: readonly LampNight[],
  opts: { seed: number; resamples?: number },
): Comparison {
  const resamples = opts.resamples ?? TRIAL_DEFAULTS.resamples;
  const strata = new Map<string, number>();
  const testLamps = byLamp(test, strata);
  const controlLamps = byLamp(control, strata);
  const n = strata.size;
  const fresh = (): Sums => ({
    sumT: new Float64Array(n),
    nT: new Float64Array(n),
    sumC: new Float64Array(n),
    nC: new Float64Array(n),
  });
  const all = fresh();
  for (const l of testLamps) accumulate(all.sumT, all.nT, l);
  for (const l of controlLamps) accumulate(all.sumC, all.nC, l);
  const point = estimate(all);
  let matchedStrata = 0;
  let matchedC = 0;
  for (let i = 0; i < n; i++)
    if (all.nT[i]! > 0 && all.nC[i]! > 0) {
      matchedStrata++;
      matchedC += all.nC[i]!;
    }
  const base = {
    test: groupFigures(test),
    control: groupFigures(control),
    matched: {
      testLampNights: point?.matchedT ?? 0,
      controlLampNights: matchedC,
      strata: matchedStrata,
    },
    bootstrap: { resamples, seed: opts.seed },
    nights: nightMeans(test, control),
  };
  const tooFew =
    !point ||
    testLamps.length < TRIAL_DEFAULTS.minLamps ||
    controlLamps.length < TRIAL_DEFAULTS.minLamps ||
    point.matchedT < TRIAL_DEFAULTS.minMatchedLampNights;
  if (tooFew || !point)
    return {
      ...base,
      differenceKWh: point ? round(point.diff) : null,
      differencePct:
        point && point.control > 0 ? round((point.diff / point.control) * 100, 2) : null,
      ci95KWh: null,
      ci95Pct: null,
      conclusion: 'too few data to conclude',
    };
  const rnd = createRandom(opts.seed);
  const diffs: number[] = [];
  const pcts: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const s = fresh();
    for (let i = 0; i < testLamps.length; i++)
      accumulate(s.sumT, s.nT, testLamps[Math.floor(rnd() * testLamps.length)]!);
    for (let i = 0; i < controlLamps.length; i++)
      accumulate(s.sumC, s.nC, controlLamps[Math.floor(rnd() * controlLamps.length)]!);
    const e = estimate(s);
    if (!e) continue;
    diffs.push(e.diff);
    if (e.control > 0) pcts.push((e.diff / e.control) * 100);
  }
  diffs.sort((a, b) => a - b);
  pcts.sort((a, b) => a - b);
  const ci95KWh = { low: round(percentileOf(diffs, 2.5)), high: round(percentileOf(diffs, 97.5)) };
  const ci95Pct = pcts.length
    ? { low: round(percentileOf(pcts, 2.5), 2), high: round(percentileOf(pcts, 97.5), 2) }
    : null;
  const conclusion: Conclusion =
    ci95KWh.high < 0
      ? 'test uses less energy'
      : ci95KWh.low > 0
        ? 'test uses more energy'
        : 'no difference shown';
  return {
    ...base,
    differenceKWh: round(point.diff),
    differencePct: point.control > 0 ? round((point.diff / point.control) * 100, 2) : null,
    ci95KWh,
    ci95Pct,
    conclusion,
  };
}

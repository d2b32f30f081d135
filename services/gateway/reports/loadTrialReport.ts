/**
 * A trial's report: the groups from the registry, lamp-nights from 12-hour buckets of the
 * energy counter and the commanded level (one aggregate read over the period, from the hourly
 * rollups where complete), then the comparison (trialReport.ts).
 */
import type { Registry } from '../../../shared/registry/index.ts';
import type { Store } from '../../../shared/storage/port.ts';
import { nightWindow } from '../http/query.ts';
import type { Trial } from '../trials/trial.ts';
import { type LampBucket, mergeBuckets, readBuckets } from './buckets.ts';
import { DAY_MS } from './nights.ts';
import { type Comparison, compareGroups, type LampNight } from './trialReport.ts';

const HALF_DAY_MS = DAY_MS / 2;

export interface TrialGroups {
  test: string[];
  control: string[];
}

/** The lamps under test and the control group (never a test lamp). */
export function trialGroups(registry: Registry, t: Pick<Trial, 'test' | 'control'>): TrialGroups {
  const test = new Set(t.test.lampIds);
  for (const m of t.test.modelIds) for (const l of registry.lampsOfModel(m)) test.add(l.id);
  let control: string[];
  switch (t.control.kind) {
    case 'sameStreets': {
      const segments = new Set([...test].map((id) => registry.lamp(id)?.segmentId));
      control = registry.lamps.filter((l) => segments.has(l.segmentId)).map((l) => l.id);
      break;
    }
    case 'model':
      control =
        t.control.modelId === 'withheld'
          ? []
          : registry.lampsOfModel(t.control.modelId).map((l) => l.id);
      break;
    case 'segment':
      control = registry.lampsInSegment(t.control.segmentId).map((l) => l.id);
      break;
  }
  return { test: [...test].sort(), control: control.filter((id) => !test.has(id)).sort() };
}

const mean = (b: LampBucket | undefined) => {
  const s = b?.stats.targetLevel;
  return s && s.n > 0 ? s.sum / s.n : undefined;
};

/**
 * A lamp's nights from its 12-hour buckets (epoch-aligned: midnight-noon and noon-midnight UTC,
 * so a noon-to-noon night is an evening and a morning bucket). The energy of a night runs from
 * the last reading before its noon to the last reading before the next noon, so consecutive
 * nights chain without a gap. Nights without both halves are left out.
 */
export function lampNights(
  lampId: string,
  buckets: readonly LampBucket[],
  nights: readonly { night: string; from: number }[],
): LampNight[] {
  const at = new Map(buckets.map((b) => [b.ts, b]));
  const out: LampNight[] = [];
  for (const { night, from } of nights) {
    const before = at.get(from - HALF_DAY_MS)?.stats.activeEnergy;
    const evening = at.get(from);
    const morning = at.get(from + HALF_DAY_MS);
    const e = evening?.stats.activeEnergy;
    const m = morning?.stats.activeEnergy;
    // The counter only grows: a bucket's largest reading is its last one.
    const start = before?.max ?? e?.min;
    const end = m?.max;
    const levels = [mean(evening), mean(morning)];
    if (start === undefined || end === undefined || end < start) continue;
    if (levels[0] === undefined || levels[1] === undefined) continue;
    out.push({
      lampId,
      night,
      kWh: end - start,
      profile: levels.map((l) => Math.round(l ?? 0)).join('/'),
    });
  }
  return out;
}

export const TRIAL_METHOD =
  'Energy per lamp-night (noon to noon UTC, from the lamps’ cumulative energy counters) of the lamps under test minus that of the control group, compared only between lamp-nights of the same night with the same commanded level (mean commanded level in each half of the night, to the nearest 1 %), weighted by the test lamp-nights. 95 % interval: bootstrap over lamp-nights, resampling lamps with all their nights (1,000 resamples, seeded), percentile method.';

export const TRIAL_CAVEATS = [
  'Readings are as the lamps report them: a lamp with a wrong energy counter skews its own nights.',
  'Nights under way, and lamp-nights without readings in both halves of the night, are left out.',
  'The interval assumes the lamps of each group are exchangeable (comparable streets, ages and programs).',
];

export interface TrialReport {
  ok: true;
  trial: Trial;
  route: string;
  from: number;
  to: number;
  nights: string[];
  method: string;
  caveats: string[];
  generatedAt: number;
  comparison: Comparison;
}

/** A seed from the trial id: the same trial gives the same interval. */
export function seedOf(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h >>> 0;
}

export async function loadTrialReport(
  deps: { registry: Registry; store: Store; now: () => number },
  trial: Trial,
  view: Trial,
): Promise<TrialReport> {
  const now = deps.now();
  const groups = trialGroups(deps.registry, trial);
  const first = nightWindow(trial.fromNight).from;
  const last = nightWindow(trial.toNight).from;
  const nights: { night: string; from: number }[] = [];
  for (let from = first; from <= last && from + DAY_MS <= now; from += DAY_MS)
    nights.push({ night: new Date(from).toISOString().slice(0, 10), from });
  const from = first - HALF_DAY_MS;
  const to = Math.max(from + HALF_DAY_MS, last + DAY_MS);
  const ids = [...groups.test, ...groups.control];
  const testSet = new Set(groups.test);
  const rows: { test: LampNight[]; control: LampNight[] } = { test: [], control: [] };
  for (let i = 0; i < ids.length && nights.length > 0; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    // Two narrow reads (each statistic of each field is an aggregate the store computes): the
    // counter's spread and the commanded level's mean. No `last`: the costliest statistic.
    const half = { bucketMs: HALF_DAY_MS };
    const [energy, levels] = await Promise.all([
      readBuckets(deps.store, { lampIds: chunk }, from, to, {
        ...half,
        fields: ['activeEnergy'],
        stats: ['min', 'max'],
      }),
      readBuckets(deps.store, { lampIds: chunk }, from, to, {
        ...half,
        fields: ['targetLevel'],
        stats: ['sum', 'n'],
      }),
    ]);
    const buckets = mergeBuckets(energy, levels);
    for (const id of chunk) {
      const list = lampNights(id, buckets.get(id) ?? [], nights);
      (testSet.has(id) ? rows.test : rows.control).push(...list);
    }
  }
  return {
    ok: true,
    trial: view,
    route: deps.registry.source,
    from: first,
    to: last + DAY_MS,
    nights: nights.map((n) => n.night),
    method: TRIAL_METHOD,
    caveats: TRIAL_CAVEATS,
    generatedAt: now,
    comparison: compareGroups(rows.test, rows.control, { seed: seedOf(trial.id) }),
  };
}

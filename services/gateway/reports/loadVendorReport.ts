/**
 * The vendor report's reads: which nights, the steady-state tier of the vendor's lamps (its
 * stored rows where the processor keeps them, else computed from the 1-minute rollups), one
 * route-wide read of 12-hour buckets of the energy and usage counters (per night and lamp: the
 * route median needs every vendor's lamps; only the median leaves the gateway), failure events
 * and stored acks; then the pure builder per model. Shared by the JSON/CSV operation, the
 * HTML/PDF outputs and the scheduled reports.
 */
import type { Registry, Vendor } from '../../../shared/registry/index.ts';
import type { SteadyRow, Store } from '../../../shared/storage/port.ts';
import { QUERY_LIMITS } from '../../../shared/storage/queries.ts';
import { ANY_LEVEL, composedSteady, SLOT_MS } from '../../../shared/storage/steady.ts';
import { nightWindow } from '../http/query.ts';
import { type LampBuckets, readBuckets } from './buckets.ts';
import { responseTimesByLamp } from './commandResponse.ts';
import { firstReportOf } from './figures.ts';
import { DAY_MS, nightOf, nightWindows } from './nights.ts';
import {
  buildModelReport,
  FAILURE_EVENTS,
  type ModelReport,
  type ReportInputs,
} from './vendorReport.ts';

const HALF_DAY_MS = DAY_MS / 2;

function hasData(rows: readonly SteadyRow[], w: { from: number; to: number }): boolean {
  for (const r of rows)
    if (r.level === ANY_LEVEL && r.count > 0 && r.ts >= w.from && r.ts < w.to) return true;
  return false;
}

/**
 * Energy per lamp and night from 12-hour buckets (a night is the evening bucket at its noon and
 * the morning one after): the spread of the cumulative counter over both, the same answer as
 * `Store.energy` over the night (min and max compose exactly).
 */
export function nightEnergyOf(
  buckets: LampBuckets,
  nights: readonly { night: string; from: number }[],
): ReportInputs['nightEnergy'] {
  return nights.map(({ night, from }) => {
    const byLamp = new Map<string, number>();
    for (const [lampId, list] of buckets) {
      let min: number | undefined;
      let max: number | undefined;
      for (const b of list) {
        if (b.ts < from || b.ts >= from + DAY_MS) continue;
        const e = b.stats.activeEnergy;
        if (e.min !== undefined) min = min === undefined ? e.min : Math.min(min, e.min);
        if (e.max !== undefined) max = max === undefined ? e.max : Math.max(max, e.max);
      }
      if (min !== undefined && max !== undefined) byLamp.set(lampId, max - min);
    }
    return { night, byLamp };
  });
}

export interface VendorReport {
  ok: true;
  vendor: Vendor;
  from: number;
  to: number;
  /** Nights asked for; `nightsReported` of them had data. */
  nights: number;
  nightsReported: string[];
  /** Availability slot, ms. */
  bucketMs: number;
  generatedAt: number;
  models: ModelReport[];
}

export interface ReportDeps {
  registry: Registry;
  store: Store;
  now: () => number;
}

export async function loadVendorReport(
  deps: ReportDeps,
  vendor: Vendor,
  q: { night?: string | undefined; nights: number },
): Promise<VendorReport> {
  const { registry, store } = deps;
  const now = deps.now();
  const asked = nightWindows(q.night, q.nights, now);
  const from = asked[0]?.from ?? nightWindow(q.night ?? nightOf(now)).from;
  const to = asked.at(-1)?.to ?? from + 1;
  const models = registry.models.filter((m) => m.vendorId === vendor.id);
  const filter = { vendorId: vendor.id };
  const window = { vendorId: vendor.id, from, to, limit: QUERY_LIMITS.maxRows };
  const [steady, counters, events, acks] = await Promise.all([
    composedSteady(store, filter, from, to),
    // The whole route (no filter): 12-hour buckets of the counters, from the hourly rollups.
    readBuckets(store, {}, from, Math.max(to, from + HALF_DAY_MS), {
      bucketMs: HALF_DAY_MS,
      fields: ['activeEnergy', 'operatingHours', 'switchOnCounter'],
      stats: ['min', 'max'],
    }),
    store.events(window),
    store.acks(window),
  ]);
  // The default report shows the nights that have data (a new lab: the night so far).
  const nights = asked.filter((w) => hasData(steady, w));
  const nightEnergy = nightEnergyOf(counters, nights);
  const rtts = responseTimesByLamp(acks);
  const firstReport = firstReportOf(steady);
  const reports: ModelReport[] = [];
  for (const model of models) {
    const lampIds = registry.lampsOfModel(model.id).map((l) => l.id);
    if (lampIds.length === 0) continue;
    const own = new Set(lampIds);
    reports.push(
      buildModelReport({
        model,
        lampIds,
        nights,
        nightEnergy,
        steady,
        usageBuckets: counters,
        firstReport,
        now,
        failures: events.filter((e) => own.has(e.lampId) && e.active && FAILURE_EVENTS.has(e.type)),
        rtts: lampIds.flatMap((id) => rtts.get(id) ?? []),
      }),
    );
  }
  return {
    ok: true,
    vendor,
    from,
    to,
    nights: q.nights,
    nightsReported: nights.map((n) => n.night),
    bucketMs: SLOT_MS,
    generatedAt: now,
    models: reports,
  };
}

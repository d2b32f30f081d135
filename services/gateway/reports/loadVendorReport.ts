/**
 * The vendor report's reads: which nights, the 10-minute buckets of the vendor's lamps, the
 * route's energy per lamp and night (for the median only), failure events and stored acks; then
 * the pure builder per model. Shared by the JSON/CSV operation, the HTML/PDF outputs and the
 * scheduled reports.
 */
import type { Registry, Vendor } from '../../../shared/registry/index.ts';
import type { Store } from '../../../shared/storage/port.ts';
import { QUERY_LIMITS } from '../../../shared/storage/queries.ts';
import { nightWindow } from '../http/query.ts';
import { type BucketField, type LampBuckets, REPORT_BUCKET_MS, readBuckets } from './buckets.ts';
import { responseTimesByLamp } from './commandResponse.ts';
import { firstReportOf } from './figures.ts';
import { nightOf, nightWindows } from './nights.ts';
import {
  buildModelReport,
  FAILURE_EVENTS,
  type ModelReport,
  type ReportInputs,
} from './vendorReport.ts';

function hasData(buckets: LampBuckets, w: { from: number; to: number }): boolean {
  for (const list of buckets.values())
    for (const b of list) if (b.count > 0 && b.ts >= w.from && b.ts < w.to) return true;
  return false;
}

export interface VendorReport {
  ok: true;
  vendor: Vendor;
  from: number;
  to: number;
  /** Nights asked for; `nightsReported` of them had data. */
  nights: number;
  nightsReported: string[];
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
  // The 10-minute read is the report's cost: only the fields some model of the vendor needs
  // per bucket; the counters come from 12-hour buckets (the hourly rollups).
  const fields: BucketField[] = ['targetLevel', 'actualLevel', 'activePower'];
  if (models.some((m) => m.constantLightOutput)) fields.push('operatingHours');
  if (models.some((m) => m.sensors.includes('illuminance'))) fields.push('illuminance');
  const filter = { vendorId: vendor.id };
  const buckets = await readBuckets(store, filter, from, to, { fields });
  const usageBuckets = await readBuckets(store, filter, from, to, {
    bucketMs: 12 * 3_600_000,
    fields: ['operatingHours', 'switchOnCounter'],
    stats: ['min', 'max'],
  });
  // The default report shows the nights that have data (a new lab: the night so far).
  const nights = asked.filter((w) => hasData(buckets, w));
  const nightEnergy: ReportInputs['nightEnergy'] = [];
  for (const w of nights) {
    // The whole route, grouped per lamp: the route median needs every vendor's lamps. Only
    // the median leaves this function, never another vendor's figures.
    const rows = await store.energy({ from: w.from, to: w.to, groupBy: 'lamp' });
    nightEnergy.push({ night: w.night, byLamp: new Map(rows.map((x) => [x.key, x.kWh])) });
  }
  const window = { vendorId: vendor.id, from, to, limit: QUERY_LIMITS.maxRows };
  const [events, acks] = await Promise.all([store.events(window), store.acks(window)]);
  const rtts = responseTimesByLamp(acks);
  const firstReport = firstReportOf(buckets);
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
        buckets,
        usageBuckets,
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
    bucketMs: REPORT_BUCKET_MS,
    generatedAt: now,
    models: reports,
  };
}

/**
 * The vendor report, per luminaire model: energy per night, the measured dimming curve (power
 * against commanded level), availability, failures, command response and the deviation from the
 * route median. Pure: the route handler fetches the inputs through the storage port.
 */
import type { HistorySeries } from '../../../shared/storage/port.ts';
import { percentile } from '../commands/CommandTracker.ts';

export const CURVE_LEVELS = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100] as const;
export const FAILURE_EVENTS = new Set([
  'lampFailure',
  'dimmingFailure',
  'commFailure',
  'supplyLoss',
]);

export interface ModelReport {
  modelId: string;
  modelName: string;
  lamps: number;
  nights: { night: string; kWh: number; kWhPerLamp: number }[];
  kWhPerLampPerNight: number | null;
  routeMedianKWhPerLampPerNight: number | null;
  deviationFromRouteMedianPct: number | null;
  /** Mean active power per commanded level (nearest 10 %), W; null where no samples. */
  dimmingCurve: { level: number; powerW: number | null; samples: number }[];
  availabilityPct: number | null;
  failures: number;
  commandResponseMs: { p50: number | null; p95: number | null; samples: number };
}

export interface ReportInputs {
  model: { id: string; name: string };
  lampIds: readonly string[];
  /** Per night: kWh per lamp over the whole route (for the route median). */
  nightEnergy: { night: string; byLamp: Map<string, number> }[];
  targetLevel: readonly HistorySeries[];
  activePower: readonly HistorySeries[];
  /** Buckets in the window of the level/power series. */
  bucketCount: number;
  failureEvents: number;
  rtts: readonly number[];
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Mean kWh per night of every lamp on the route, for the route median. */
export function perLampNightlyMeans(nights: ReportInputs['nightEnergy']): Map<string, number> {
  const sums = new Map<string, { sum: number; n: number }>();
  for (const night of nights) {
    for (const [lampId, kWh] of night.byLamp) {
      const s = sums.get(lampId) ?? { sum: 0, n: 0 };
      s.sum += kWh;
      s.n += 1;
      sums.set(lampId, s);
    }
  }
  return new Map([...sums].map(([id, s]) => [id, s.sum / s.n]));
}

export function dimmingCurve(
  level: readonly HistorySeries[],
  power: readonly HistorySeries[],
): ModelReport['dimmingCurve'] {
  const bins = new Map<number, { sum: number; n: number }>();
  const powerByLamp = new Map(
    power.map((s) => [s.lampId, new Map(s.points.map((p) => [p.t, p.value]))]),
  );
  for (const series of level) {
    const pw = powerByLamp.get(series.lampId);
    if (!pw) continue;
    for (const { t, value } of series.points) {
      const w = pw.get(t);
      if (value === null || w === null || w === undefined) continue;
      const bin = Math.round(value / 10) * 10;
      const b = bins.get(bin) ?? { sum: 0, n: 0 };
      b.sum += w;
      b.n += 1;
      bins.set(bin, b);
    }
  }
  return CURVE_LEVELS.map((level) => {
    const b = bins.get(level);
    return { level, powerW: b ? round(b.sum / b.n, 2) : null, samples: b?.n ?? 0 };
  });
}

export function buildModelReport(i: ReportInputs): ModelReport {
  const own = new Set(i.lampIds);
  const nights = i.nightEnergy.map(({ night, byLamp }) => {
    let kWh = 0;
    for (const id of own) kWh += byLamp.get(id) ?? 0;
    return { night, kWh: round(kWh), kWhPerLamp: own.size ? round(kWh / own.size) : 0 };
  });
  const means = perLampNightlyMeans(i.nightEnergy);
  const ownMeans = [...own].map((id) => means.get(id)).filter((x): x is number => x !== undefined);
  const modelMean = ownMeans.length ? ownMeans.reduce((a, b) => a + b, 0) / ownMeans.length : null;
  const routeMedian = median([...means.values()]);
  const deviation =
    modelMean !== null && routeMedian !== null && routeMedian > 0
      ? ((modelMean - routeMedian) / routeMedian) * 100
      : null;
  let seen = 0;
  for (const s of i.activePower)
    if (own.has(s.lampId)) seen += s.points.filter((p) => p.value !== null).length;
  const expected = own.size * i.bucketCount;
  const sorted = [...i.rtts].sort((a, b) => a - b);
  return {
    modelId: i.model.id,
    modelName: i.model.name,
    lamps: own.size,
    nights,
    kWhPerLampPerNight: modelMean === null ? null : round(modelMean),
    routeMedianKWhPerLampPerNight: routeMedian === null ? null : round(routeMedian),
    deviationFromRouteMedianPct: deviation === null ? null : round(deviation, 1),
    dimmingCurve: dimmingCurve(i.targetLevel, i.activePower),
    availabilityPct: expected > 0 ? round(Math.min(100, (seen / expected) * 100), 2) : null,
    failures: i.failureEvents,
    commandResponseMs: {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      samples: sorted.length,
    },
  };
}

export const CSV_COLUMNS = [
  'vendorId',
  'modelId',
  'modelName',
  'lamps',
  'nights',
  'kWhPerLampPerNight',
  'routeMedianKWhPerLampPerNight',
  'deviationFromRouteMedianPct',
  'availabilityPct',
  'failures',
  'commandP50Ms',
  'commandP95Ms',
  'commandSamples',
  ...CURVE_LEVELS.map((l) => `powerW_at_${l}pct`),
] as const;

/**
 * A CSV cell that is safe to open in a spreadsheet: quoted when needed, and text starting with
 * = + - @ (a formula) gets a leading apostrophe (OWASP CSV injection).
 */
export function safeCsvCell(value: string | number | null): string {
  if (value === null) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function reportCsv(vendorId: string, models: readonly ModelReport[]): string {
  const rows = models.map((m) => [
    vendorId,
    m.modelId,
    m.modelName,
    m.lamps,
    m.nights.length,
    m.kWhPerLampPerNight,
    m.routeMedianKWhPerLampPerNight,
    m.deviationFromRouteMedianPct,
    m.availabilityPct,
    m.failures,
    m.commandResponseMs.p50,
    m.commandResponseMs.p95,
    m.commandResponseMs.samples,
    ...m.dimmingCurve.map((c) => c.powerW),
  ]);
  const lines = [CSV_COLUMNS.join(','), ...rows.map((r) => r.map(safeCsvCell).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

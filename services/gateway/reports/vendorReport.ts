/**
 * The vendor report, per luminaire model: energy per lamp-night, the steady-state dimming curve,
 * availability, operating hours and switch-ons, failures by type per 1,000 operating hours,
 * power creep of constant-light-output drivers, lux per watt, command response from stored acks,
 * and the deviation from the route median. Pure: the route handler fetches the inputs.
 */

import type { SteadyRow } from '../../../shared/storage/port.ts';
import { percentile } from '../commands/CommandTracker.ts';
import type { LampBuckets } from './buckets.ts';
import {
  type Availability,
  availability,
  CURVE_LEVELS,
  type CurvePoint,
  dimmingCurve,
  failureRates,
  luxPerWatt,
  type PowerCreep,
  powerCreep,
  steadyLevels,
  type Usage,
  usage,
} from './figures.ts';

export { CURVE_LEVELS } from './figures.ts';

export const FAILURE_EVENTS = new Set([
  'lampFailure',
  'dimmingFailure',
  'commFailure',
  'supplyLoss',
]);

/** One night of a report: noon to noon UTC, `to` cut at now for the night under way. */
export interface NightWindow {
  night: string;
  from: number;
  to: number;
  complete: boolean;
}

export interface ModelReport extends Usage {
  modelId: string;
  modelName: string;
  lamps: number;
  nights: { night: string; kWh: number; kWhPerLamp: number; complete: boolean }[];
  kWhPerLampPerNight: number | null;
  /** Which nights the mean per lamp-night is over: the whole ones, or the one under way. */
  energyBasis: 'complete nights' | 'night so far' | 'none';
  routeMedianKWhPerLampPerNight: number | null;
  deviationFromRouteMedianPct: number | null;
  dimmingCurve: CurvePoint[];
  availabilityPct: number | null;
  availability: Omit<Availability, 'pct'>;
  failures: number;
  failuresByType: { type: string; count: number; per1000h: number | null }[];
  failuresPer1000h: number | null;
  /** Constant-light-output drivers only; null for others. */
  powerCreep: PowerCreep | null;
  luxPerWatt: { value: number | null; samples: number };
  commandResponseMs: { p50: number | null; p95: number | null; samples: number };
}

export interface ReportInputs {
  model: { id: string; name: string; constantLightOutput: boolean };
  lampIds: readonly string[];
  nights: readonly NightWindow[];
  /** Per night: kWh per lamp over the whole route (for the route median). */
  nightEnergy: { night: string; byLamp: Map<string, number> }[];
  /** Steady-state tier rows of (at least) the model's lamps over the report's window. */
  steady: readonly SteadyRow[];
  /** Buckets with the counters (operating hours, switch-ons) of the window. */
  usageBuckets: LampBuckets;
  /** When the lamps the report is about first reported in the window (availability's start). */
  firstReport: number | undefined;
  now: number;
  /** Failure events (active) of the model's lamps. */
  failures: readonly { type: string }[];
  /** Command response times of the model's lamps, ms. */
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

/** The nights the mean per lamp-night is taken over: whole ones when there are any. */
function energyNights(i: ReportInputs) {
  const complete = new Set(i.nights.filter((n) => n.complete).map((n) => n.night));
  const whole = i.nightEnergy.filter((n) => complete.has(n.night));
  if (whole.length > 0) return { basis: 'complete nights' as const, nights: whole };
  if (i.nightEnergy.length > 0) return { basis: 'night so far' as const, nights: i.nightEnergy };
  return { basis: 'none' as const, nights: [] };
}

export function buildModelReport(i: ReportInputs): ModelReport {
  const own = [...new Set(i.lampIds)];
  const completeOf = new Map(i.nights.map((n) => [n.night, n.complete]));
  const nights = i.nightEnergy.map(({ night, byLamp }) => {
    let kWh = 0;
    for (const id of own) kWh += byLamp.get(id) ?? 0;
    return {
      night,
      kWh: round(kWh),
      kWhPerLamp: own.length ? round(kWh / own.length) : 0,
      complete: completeOf.get(night) ?? true,
    };
  });
  const basis = energyNights(i);
  const means = perLampNightlyMeans(basis.nights);
  const ownMeans = own.map((id) => means.get(id)).filter((x): x is number => x !== undefined);
  const modelMean = ownMeans.length ? ownMeans.reduce((a, b) => a + b, 0) / ownMeans.length : null;
  const routeMedian = median([...means.values()]);
  const deviation =
    modelMean !== null && routeMedian !== null && routeMedian > 0
      ? ((modelMean - routeMedian) / routeMedian) * 100
      : null;
  const steady = steadyLevels(i.steady, own);
  const first = i.nights[0];
  const last = i.nights.at(-1);
  const avail = availability(
    i.steady,
    own,
    { from: first?.from ?? 0, to: last?.to ?? 0 },
    i.firstReport,
    i.now,
  );
  const use = usage(i.usageBuckets, own);
  const rates = failureRates(i.failures, use.operatingHours);
  const sorted = [...i.rtts].sort((a, b) => a - b);
  return {
    modelId: i.model.id,
    modelName: i.model.name,
    lamps: own.length,
    nights,
    kWhPerLampPerNight: modelMean === null ? null : round(modelMean),
    energyBasis: basis.basis,
    routeMedianKWhPerLampPerNight: routeMedian === null ? null : round(routeMedian),
    deviationFromRouteMedianPct: deviation === null ? null : round(deviation, 1),
    dimmingCurve: dimmingCurve(steady),
    availabilityPct: avail.pct,
    availability: {
      bucketsWithData: avail.bucketsWithData,
      bucketsExpected: avail.bucketsExpected,
    },
    ...use,
    failures: i.failures.length,
    failuresByType: rates,
    failuresPer1000h:
      use.operatingHours > 0 ? round((i.failures.length / use.operatingHours) * 1000, 3) : null,
    powerCreep: i.model.constantLightOutput ? powerCreep(steady) : null,
    luxPerWatt: luxPerWatt(steady),
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
  'operatingHours',
  'switchOns',
  'failures',
  'failuresPer1000h',
  'powerCreepWPer1000h',
  'luxPerWatt',
  'commandP50Ms',
  'commandP95Ms',
  'commandSamples',
  ...CURVE_LEVELS.map((l) => `powerW_at_${l}pct`),
  ...CURVE_LEVELS.map((l) => `readings_at_${l}pct`),
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

/** Rows of cells as CSV text (CRLF, formula-safe). */
export function csvText(header: readonly string[], rows: readonly (string | number | null)[][]) {
  const lines = [header.join(','), ...rows.map((r) => r.map(safeCsvCell).join(','))];
  return `${lines.join('\r\n')}\r\n`;
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
    m.operatingHours,
    m.switchOns,
    m.failures,
    m.failuresPer1000h,
    m.powerCreep?.wPer1000h ?? null,
    m.luxPerWatt.value,
    m.commandResponseMs.p50,
    m.commandResponseMs.p95,
    m.commandResponseMs.samples,
    ...m.dimmingCurve.map((c) => c.powerW),
    ...m.dimmingCurve.map((c) => c.samples),
  ]);
  return csvText(CSV_COLUMNS, rows);
}

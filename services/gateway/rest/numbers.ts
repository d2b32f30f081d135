/**
 * Numbers leave the gateway at the precision of their quantity: sums and means of floats carry
 * noise (`0.0013000000000147338` kWh) that no meter measured. Rounded once, here, at the edge.
 */

/** Decimal places per field name; a quantity not listed keeps 9 significant digits. */
export const DECIMALS: Readonly<Record<string, number>> = {
  kWh: 6,
  kWhPerLamp: 6,
  kWhPerLampPerNight: 6,
  routeMedianKWhPerLampPerNight: 6,
  activeEnergy: 6,
  activePower: 2,
  powerW: 2,
  kW: 3,
  supplyVoltage: 1,
  supplyCurrent: 4,
  powerFactor: 3,
  actualLevel: 2,
  targetLevel: 2,
  level: 2,
  illuminance: 2,
  gearTemperature: 1,
  operatingHours: 3,
  deviationFromRouteMedianPct: 2,
  availabilityPct: 2,
  lengthM: 1,
  distanceM: 1,
  p50: 1,
  p95: 1,
  max: 1,
  rttMs: 1,
};

const SIGNIFICANT = 9;

export function roundQuantity(key: string, v: number): number {
  if (Number.isInteger(v) || !Number.isFinite(v)) return v;
  const d = DECIMALS[key];
  if (d !== undefined) return Number(v.toFixed(d));
  return Number(v.toPrecision(SIGNIFICANT));
}

/** JSON text with every non-integer number rounded to its quantity's precision. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (key, v) => (typeof v === 'number' ? roundQuantity(key, v) : v));
}

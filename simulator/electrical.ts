/**
 * Thermal, energy and sensor model of one luminaire on the route. Its electrical model (power,
 * power factor, current from the dim level) is the catalog's, in shared/registry/luminaire.ts,
 * re-exported here for the simulator's modules. Pure functions; units as in the contract.
 */
import type { LuminaireModel } from '../shared/registry/index.ts';

export * from '../shared/registry/luminaire.ts';

/** Control-gear temperature rise above ambient at rated power, K, and its thermal time constant. */
export const GEAR_RISE_AT_RATED_K = 28;
export const GEAR_TIME_CONSTANT_MS = 12 * 60_000;
/** Light of the lamp itself reaching its upward-facing sensor at 100 %, lux (spill, reflections). */
export const OWN_LIGHT_AT_SENSOR_LUX = 6;

/** Energy of a constant power over a time, kWh. */
export function energyKWh(powerW: number, ms: number): number {
  return (powerW * ms) / 3_600_000_000;
}

/** Control-gear temperature after dt: first-order approach to ambient plus a load-driven rise. */
export function gearTemperatureStep(
  model: LuminaireModel,
  tempC: number,
  ambientC: number,
  powerW: number,
  dtMs: number,
): number {
  const target = ambientC + GEAR_RISE_AT_RATED_K * (powerW / model.ratedPowerW);
  return target + (tempC - target) * Math.exp(-dtMs / GEAR_TIME_CONSTANT_MS);
}

/** Light at the post's sensor: sky light plus a little of the lamp's own light. */
export function sensorIlluminance(skyLux: number, level: number): number {
  return skyLux + (OWN_LIGHT_AT_SENSOR_LUX * Math.max(0, level)) / 100;
}

/**
 * Mains voltage of a segment: its own nominal (around 230 V), sagging in the evening peak and
 * rising at night when the grid is lightly loaded, plus noise in [-0.5, 0.5) V from the caller.
 */
export function mainsVoltage(nominalV: number, localHour: number, noise: number): number {
  const evening = Math.exp(-(((localHour - 18.5) / 2.5) ** 2));
  const night = Math.exp(-(((localHour - 3.5) / 2.5) ** 2));
  return nominalV - 3 * evening + 2 * night + noise;
}

/**
 * Electrical and thermal model of one luminaire, from its catalog entry. Pure functions; units as
 * in the telemetry contract (W, V, A, kWh, h, deg C, lux).
 */
import type { LuminaireModel } from '../shared/registry/index.ts';

/** Constant light output: drive starts at this fraction of rated and reaches 1 at end of life. */
export const CLO_START_FACTOR = 0.88;
export const CLO_LIFE_HOURS = 100_000;
/** Power factor of a driver at vanishing load, and of a node with the light off. */
export const PF_AT_ZERO_LOAD = 0.45;
export const STANDBY_POWER_FACTOR = 0.3;
/** Control-gear temperature rise above ambient at rated power, K, and its thermal time constant. */
export const GEAR_RISE_AT_RATED_K = 28;
export const GEAR_TIME_CONSTANT_MS = 12 * 60_000;
/** Light of the lamp itself reaching its upward-facing sensor at 100 %, lux (spill, reflections). */
export const OWN_LIGHT_AT_SENSOR_LUX = 6;

type Curve = LuminaireModel['driverEfficiency'];

/** Driver efficiency at a load fraction: linear between catalog points, flat beyond them. */
export function efficiencyAt(curve: Curve, load: number): number {
  const first = curve[0]!;
  const last = curve[curve.length - 1]!;
  if (load <= first.load) return first.efficiency;
  if (load >= last.load) return last.efficiency;
  for (let i = 1; i < curve.length; i++) {
    const b = curve[i]!;
    if (load <= b.load) {
      const a = curve[i - 1]!;
      return a.efficiency + ((b.efficiency - a.efficiency) * (load - a.load)) / (b.load - a.load);
    }
  }
  return last.efficiency;
}

/** The level the driver can actually run: 0 stays off, others clamp into the dimming range. */
export function effectiveLevel(model: LuminaireModel, level: number): number {
  if (level <= 0) return 0;
  return Math.min(model.dimming.maxPct, Math.max(model.dimming.minPct, level));
}

/** Drive factor for constant light output: more current as the LEDs age, to hold the lumens. */
export function cloFactor(model: LuminaireModel, operatingHours: number): number {
  if (!model.constantLightOutput) return 1;
  return CLO_START_FACTOR + (1 - CLO_START_FACTOR) * Math.min(1, operatingHours / CLO_LIFE_HOURS);
}

/** Load fraction of the driver at a light level (LED power is close to linear in light output). */
export function loadFraction(model: LuminaireModel, level: number, operatingHours: number): number {
  return (effectiveLevel(model, level) / 100) * cloFactor(model, operatingHours);
}

/**
 * Active input power, W: LED power through the driver efficiency at that load, plus the node's
 * standby power. At 100 % (CLO at end of life) it equals the catalog's rated power.
 */
export function activePower(model: LuminaireModel, level: number, operatingHours = 0): number {
  const load = loadFraction(model, level, operatingHours);
  if (load <= 0) return model.standbyPowerW;
  const curve = model.driverEfficiency;
  const ledAtFull = (model.ratedPowerW - model.standbyPowerW) * efficiencyAt(curve, 1);
  return (ledAtFull * load) / efficiencyAt(curve, load) + model.standbyPowerW;
}

/** Power factor: the catalog figure at full load, falling quadratically towards low load. */
export function powerFactor(model: LuminaireModel, level: number, operatingHours = 0): number {
  const load = loadFraction(model, level, operatingHours);
  if (load <= 0) return STANDBY_POWER_FACTOR;
  const l = Math.min(1, load);
  return model.powerFactor - (model.powerFactor - PF_AT_ZERO_LOAD) * (1 - l) ** 2;
}

/** RMS current from active power, voltage and power factor, A. */
export function supplyCurrent(powerW: number, voltageV: number, pf: number): number {
  return voltageV > 0 && pf > 0 ? powerW / (voltageV * pf) : 0;
}

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

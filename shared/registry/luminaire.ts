/**
 * Electrical model of a luminaire type from its catalog entry: input power, power factor and
 * current at a dim level. One model for everything that needs it: the simulator draws power
 * with it, the processor's alarms expect power with it. Units as in the telemetry contract.
 */
import type { LuminaireModel } from './schemas.ts';

/** Constant light output: drive starts at this fraction of rated and reaches 1 at end of life. */
export const CLO_START_FACTOR = 0.88;
export const CLO_LIFE_HOURS = 100_000;
/** Power factor of a driver at vanishing load, and of a node with the light off. */
export const PF_AT_ZERO_LOAD = 0.45;
export const STANDBY_POWER_FACTOR = 0.3;

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

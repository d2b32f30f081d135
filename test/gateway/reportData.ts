/**
 * Readings for report tests: every lamp of the route through nights of hourly levels from 18:00
 * UTC, a reading every 5 minutes (steady buckets for the curve), the energy counter integrating
 * the power, as the processor would store them.
 */
import type { Registry } from '../../shared/registry/index.ts';
import type { StoredTelemetry } from '../../shared/storage/port.ts';

export const NIGHT_LEVELS = [100, 100, 50, 50, 50, 10, 10, 10, 10, 50, 100, 100];

/** The tags the processor stores with a lamp's points. */
export function lampTags(registry: Registry, lampId: string) {
  const lamp = registry.lamp(lampId)!;
  const model = registry.model(lamp.modelId)!;
  return { lampId, segmentId: lamp.segmentId, vendorId: model.vendorId, modelId: model.id };
}

export function nightReadings(
  registry: Registry,
  nights: readonly string[],
  opts: {
    levels?: readonly number[];
    powerFactor?: (lampId: string) => number;
    /** Only these lamps; every lamp of the route when absent. */
    only?: (lampId: string) => boolean;
  } = {},
): StoredTelemetry[] {
  const levels = opts.levels ?? NIGHT_LEVELS;
  const points: StoredTelemetry[] = [];
  for (const lamp of registry.lamps.filter((l) => opts.only?.(l.id) ?? true)) {
    const model = registry.model(lamp.modelId)!;
    const tags = lampTags(registry, lamp.id);
    const scale = opts.powerFactor?.(lamp.id) ?? 1;
    let energy = 100;
    let seq = 0;
    for (const night of nights) {
      const start = Date.parse(`${night}T18:00:00Z`);
      for (let k = 0; k < levels.length * 12; k++) {
        const level = levels[Math.floor(k / 12)]!;
        const power = (model.standbyPowerW + (model.ratedPowerW * level) / 100) * scale;
        energy += power / 12_000;
        points.push({
          ...tags,
          seq: seq++,
          ts: start + k * 5 * 60_000,
          targetLevel: level,
          actualLevel: level,
          activePower: power,
          activeEnergy: energy,
          supplyVoltage: 230,
          supplyCurrent: power / 230,
          powerFactor: 0.95,
          operatingHours: 1000,
          switchOnCounter: 10,
          gearTemperature: 30,
        });
      }
    }
  }
  return points;
}

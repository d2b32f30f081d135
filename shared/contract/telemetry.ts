import { z } from 'zod';
import { bounded, boundedInt, Id, Level, Timestamp } from './common.ts';
import { LIMITS, RANGES } from './limits.ts';

/**
 * One reading of one lamp post. Names follow TALQ LampActuator / LampMonitor, values DALI-2 D4i
 * (part 252 energy and power, part 253 diagnostics).
 */
export const Telemetry = z.strictObject({
  lampId: Id,
  /** Per-lamp sequence number, increasing by one per reading; restarts at 0 after a reboot. */
  seq: boundedInt(RANGES.sequence),
  /** Device time of the reading, epoch ms. */
  ts: Timestamp,
  /** TALQ targetLightCommand: the level the controller is driving towards, %. */
  targetLevel: Level,
  /** TALQ actualLightState: the level the lamp is at, %. */
  actualLevel: Level,
  /** TALQ activePower, W (D4i part 252 active power). */
  activePower: bounded(RANGES.activePowerW),
  /** TALQ activeEnergy, cumulative kWh since commissioning (D4i part 252 active energy). */
  activeEnergy: bounded(RANGES.activeEnergyKWh),
  /** TALQ supplyVoltage, V RMS. */
  supplyVoltage: bounded(RANGES.supplyVoltageV),
  /** TALQ supplyCurrent, A RMS. */
  supplyCurrent: bounded(RANGES.supplyCurrentA),
  /** TALQ powerFactor, 0-1. */
  powerFactor: bounded(RANGES.powerFactor),
  /** TALQ operatingHours, h with the light source on (D4i part 253 operating time). */
  operatingHours: bounded(RANGES.operatingHours),
  /** TALQ switchOnCounter (D4i part 253 start counter). */
  switchOnCounter: boundedInt(RANGES.switchOnCounter),
  /** Control-gear temperature, deg C (D4i part 253). */
  gearTemperature: bounded(RANGES.gearTemperatureC),
  /** Light level at the post, lux; only where the post has a light sensor. */
  illuminance: bounded(RANGES.illuminanceLux).optional(),
  /** Road users detected since the previous reading; only where the post has a presence sensor. */
  presenceCount: boundedInt(RANGES.presenceCount).optional(),
});
export type Telemetry = z.infer<typeof Telemetry>;

/** Numeric telemetry fields, the whitelist for storage columns and history queries. */
export const TELEMETRY_FIELDS = [
  'targetLevel',
  'actualLevel',
  'activePower',
  'activeEnergy',
  'supplyVoltage',
  'supplyCurrent',
  'powerFactor',
  'operatingHours',
  'switchOnCounter',
  'gearTemperature',
  'illuminance',
  'presenceCount',
] as const satisfies readonly (keyof Telemetry)[];
export const TelemetryField = z.enum(TELEMETRY_FIELDS);
export type TelemetryField = z.infer<typeof TelemetryField>;

/**
 * A segment controller's batch: readings of many lamps in one message. Real control systems
 * aggregate this way, and it is the platform's fast path.
 */
export const SegmentBatch = z.strictObject({
  segmentId: Id,
  controllerId: Id,
  /** Controller time when the batch was sent, epoch ms. */
  ts: Timestamp,
  readings: z.array(Telemetry).min(1).max(LIMITS.maxBatchReadings),
});
export type SegmentBatch = z.infer<typeof SegmentBatch>;

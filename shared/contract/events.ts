import { z } from 'zod';
import { bounded, boundedInt, Id, Text, Timestamp } from './common.ts';
import { RANGES } from './limits.ts';

/** Lamp events, named after TALQ LampMonitor events. */
export const EVENT_TYPES = [
  'lampFailure',
  'dimmingFailure',
  'lampPowerTooHigh',
  'lampPowerTooLow',
  'powerFactorTooLow',
  'supplyLoss',
  'supplyVoltageTooHigh',
  'supplyVoltageTooLow',
  /** TALQ lampUnexpectedOn: the lamp burns in daylight. */
  'dayBurning',
  /** TALQ controlGearCommFailure. */
  'commFailure',
  'gearOverTemperature',
  'lampCycling',
] as const;
export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;

export const LampEvent = z.strictObject({
  lampId: Id,
  ts: Timestamp,
  seq: boundedInt(RANGES.sequence).optional(),
  type: EventType,
  /** true when the condition starts, false when it ends. */
  active: z.boolean(),
  /** The measured value behind the event, in the unit of the matching telemetry field. */
  value: bounded({ min: -1e9, max: 1e9 }).optional(),
  detail: Text.optional(),
});
export type LampEvent = z.infer<typeof LampEvent>;

import { z } from 'zod';
import { LIMITS, RANGES } from './limits.ts';

/**
 * Ids of lamps, segments, controllers, vendors, models and commands. They become MQTT topic levels,
 * InfluxDB tag values and file names, so the alphabet is small: no `/`, `+`, `#`, spaces or quotes.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const Id = z
  .string()
  .min(1)
  .max(LIMITS.maxIdLength)
  .regex(ID_PATTERN, 'ids use letters, digits, ".", "_" and "-", starting with a letter or digit');
export type Id = z.infer<typeof Id>;

export const Text = z.string().max(LIMITS.maxTextLength);

/** A finite number in a closed range (NaN and Infinity are rejected by zod's number). */
export const bounded = (range: { min: number; max: number }) =>
  z.number().min(range.min).max(range.max);

export const boundedInt = (range: { min: number; max: number }) =>
  z.number().int().min(range.min).max(range.max);

/** Device timestamp, epoch milliseconds (UTC). Skew against the receiver is checked in decode. */
export const Timestamp = boundedInt(RANGES.timestampMs);
export type Timestamp = z.infer<typeof Timestamp>;

export const Level = bounded(RANGES.level);

import { z } from 'zod';
import { Id, Text, Timestamp } from './common.ts';

/** Alarms the processor raises from telemetry, events and silence. */
export const ALARM_TYPES = [
  'lampFailure',
  'powerDeviation',
  'dayBurning',
  'commsLost',
  'commandNotAcked',
  'segmentSupplyLoss',
] as const;
export const AlarmType = z.enum(ALARM_TYPES);
export type AlarmType = z.infer<typeof AlarmType>;

export const Alarm = z
  .strictObject({
    /** Stable per condition, e.g. `commsLost:DOLL-0042`, so raise and clear pair up. */
    alarmId: z.string().min(1).max(160),
    type: AlarmType,
    state: z.enum(['raised', 'cleared']),
    severity: z.enum(['info', 'minor', 'major', 'critical']),
    lampId: Id.optional(),
    segmentId: Id.optional(),
    ts: Timestamp,
    detail: Text,
  })
  .refine((a) => a.lampId !== undefined || a.segmentId !== undefined, {
    message: 'an alarm names a lamp or a segment',
    path: ['lampId'],
  });
export type Alarm = z.infer<typeof Alarm>;

/** A message a consumer rejected, published so that nobody has to read logs to find it. */
export const DeadLetter = z.strictObject({
  ts: Timestamp,
  topic: z.string().max(1024),
  reason: z.string().max(1024),
  /** The schema path that failed, when the payload parsed as JSON. */
  path: z.string().max(512).optional(),
  bytes: z.number().int().min(0),
  /** The start of the payload as UTF-8 text, truncated. */
  payload: z.string().max(1024),
});
export type DeadLetter = z.infer<typeof DeadLetter>;

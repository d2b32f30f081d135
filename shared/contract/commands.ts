import { z } from 'zod';
import { bounded, boundedInt, Id, Level, Text, Timestamp } from './common.ts';
import { RANGES } from './limits.ts';

/** A switching time, either fixed local time or an astronomical event with an offset. */
export const ProgramTime = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('fixed'),
    /** Local wall-clock time at the lamp, HH:MM (24 h). */
    time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'time is HH:MM, 00:00-23:59'),
  }),
  z.strictObject({
    kind: z.literal('astro'),
    event: z.enum(['sunset', 'sunrise', 'dusk', 'dawn']),
    /** Minutes after (positive) or before (negative) the event. */
    offsetMin: boundedInt({ min: -240, max: 240 }),
  }),
]);
export type ProgramTime = z.infer<typeof ProgramTime>;

/**
 * A night program as TALQ describes it: switch points, each setting a level from that time on,
 * and optional presence-adaptive control (sensor-driven dynamic control with a hold time).
 */
export const NightProgram = z.strictObject({
  id: Id,
  name: Text.min(1),
  steps: z
    .array(z.strictObject({ at: ProgramTime, level: Level }))
    .min(1)
    .max(24),
  presence: z
    .strictObject({
      /** Level while road users are near, %. */
      level: Level,
      /** How long the raised level is held after the last detection, s. */
      holdS: boundedInt({ min: 1, max: 3600 }),
      /** How many posts ahead of a road user are raised. */
      lookAhead: boundedInt({ min: 0, max: 20 }).default(3),
    })
    .optional(),
});
export type NightProgram = z.infer<typeof NightProgram>;

const commandBase = {
  commandId: Id,
  /** When the command was issued, epoch ms. */
  issuedAt: Timestamp,
  /** Who issued it (user or service), for the audit trail. */
  issuedBy: Id.optional(),
};

/**
 * Commands to a lamp. As in TALQ an override replaces the previous one, and a release (an empty
 * override) returns the lamp to its program.
 */
export const LampCommand = z.discriminatedUnion('type', [
  z.strictObject({
    ...commandBase,
    type: z.literal('override'),
    level: Level,
    /** TALQ rampToLevelTime, ms. */
    rampMs: boundedInt(RANGES.rampMs).default(0),
    reason: Text.optional(),
    /** Apply from this time, epoch ms; now when absent. */
    start: Timestamp.optional(),
    /** The override ends at this time and the lamp returns to its program, epoch ms. */
    expiresAt: Timestamp.optional(),
  }),
  z.strictObject({ ...commandBase, type: z.literal('release') }),
  z.strictObject({ ...commandBase, type: z.literal('assignProgram'), program: NightProgram }),
]);
export type LampCommand = z.infer<typeof LampCommand>;
export type LampCommandInput = z.input<typeof LampCommand>;

/** Acknowledgement of a command by the lamp. `applied` follows `accepted` once a ramp ends. */
export const CommandAck = z
  .strictObject({
    commandId: Id,
    lampId: Id,
    ts: Timestamp,
    status: z.enum(['accepted', 'rejected', 'applied']),
    reason: Text.optional(),
    actualLevel: bounded(RANGES.level).optional(),
  })
  .refine((a) => a.status !== 'rejected' || a.reason !== undefined, {
    message: 'a rejected ack carries a reason',
    path: ['reason'],
  });
export type CommandAck = z.infer<typeof CommandAck>;

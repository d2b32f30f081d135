/**
 * A trial: a vendor's lamps or models under test against a control group over a period of
 * nights. The control group is the route's other lamps on the test lamps' streets (segments),
 * the lamps of a reference model, or the lamps of a segment; test lamps are never in it.
 */
import { z } from 'zod';
import { Id, Text, Timestamp } from '../../../shared/contract/index.ts';
import { NIGHT } from '../http/query.ts';

export const MAX_TRIAL_NIGHTS = 62;

export const TrialControl = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('sameStreets') }),
  z.strictObject({ kind: z.literal('model'), modelId: Id }),
  z.strictObject({ kind: z.literal('segment'), segmentId: Id }),
]);
export type TrialControl = z.infer<typeof TrialControl>;

export const TrialInput = z
  .strictObject({
    id: Id,
    name: Text.min(1),
    vendorId: Id,
    /** Lamps under test: these lamps, and every lamp of these models. */
    test: z
      .strictObject({
        lampIds: z.array(Id).max(1000).default([]),
        modelIds: z.array(Id).max(50).default([]),
      })
      .refine((t) => t.lampIds.length + t.modelIds.length > 0, {
        message: 'name at least one lamp or model under test',
        path: ['lampIds'],
      }),
    control: TrialControl,
    /** First and last night of the period, YYYY-MM-DD (noon-to-noon UTC nights). */
    fromNight: NIGHT,
    toNight: NIGHT,
  })
  .refine((t) => t.toNight >= t.fromNight, {
    message: 'toNight is before fromNight',
    path: ['toNight'],
  })
  .refine(
    (t) => (Date.parse(t.toNight) - Date.parse(t.fromNight)) / 86_400_000 < MAX_TRIAL_NIGHTS,
    { message: `at most ${MAX_TRIAL_NIGHTS} nights`, path: ['toNight'] },
  );
export type TrialInput = z.output<typeof TrialInput>;

export const Trial = z.object({
  id: Id,
  name: z.string(),
  vendorId: Id,
  test: z.object({ lampIds: z.array(Id), modelIds: z.array(Id) }),
  /** For a vendor, a reference model of another vendor shows as `withheld`. */
  control: z.union([
    TrialControl,
    z.object({ kind: z.literal('model'), modelId: z.literal('withheld') }),
  ]),
  fromNight: z.string(),
  toNight: z.string(),
  createdBy: z.string(),
  createdAt: Timestamp,
});
export type Trial = z.output<typeof Trial>;

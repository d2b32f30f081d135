/**
 * Scheduled reports as data: what an operator schedules, the files a schedule made, and which
 * report is due at a time. Pure (no I/O): the scheduler and the REST answers share it.
 */
import { z } from 'zod';
import { Id } from '../../../shared/contract/index.ts';
import { DAY_MS, nightOf } from './nights.ts';

/** Every format a report comes in. */
export const REPORT_FORMATS = ['json', 'csv', 'html', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const ScheduleInput = z.strictObject({
  id: Id,
  vendorId: Id,
  /** `day`: each day, the night that ended at noon UTC; `monday`: each Monday, the week before. */
  every: z.enum(['day', 'monday']),
  formats: z.array(z.enum(REPORT_FORMATS)).min(1).max(4).default(['pdf', 'csv']),
});
export type ScheduleInput = z.output<typeof ScheduleInput>;

export const Schedule = z.object({
  id: Id,
  vendorId: Id,
  every: z.enum(['day', 'monday']),
  formats: z.array(z.enum(REPORT_FORMATS)),
  createdBy: z.string(),
  createdAt: z.number(),
  /** The last night of the newest report made, YYYY-MM-DD. */
  lastNight: z.string().optional(),
});
export type Schedule = z.output<typeof Schedule>;

export const ReportFile = z.object({
  name: z.string(),
  scheduleId: Id,
  vendorId: Id,
  format: z.enum(REPORT_FORMATS),
  firstNight: z.string(),
  lastNight: z.string(),
  bytes: z.number().int(),
  createdAt: z.number(),
});
export type ReportFile = z.output<typeof ReportFile>;

/** File names are ours only: `<schedule>-<night>.<format>` with ids from the contract alphabet. */
export const FILE_NAME = /^[A-Za-z0-9_.:-]+-\d{4}-\d{2}-\d{2}\.(json|csv|html|pdf)$/;

/**
 * The report a schedule is due to make at `now`: the last night that has ended (daily), or the
 * seven nights to the Sunday night that ended on the latest Monday noon (weekly).
 */
export function dueReport(
  s: Pick<Schedule, 'every'>,
  now: number,
): { lastNight: string; nights: number } {
  const lastEnded = nightOf(now - DAY_MS);
  if (s.every === 'day') return { lastNight: lastEnded, nights: 1 };
  // Walk back from the last ended night to a Sunday night (it ends on Monday at noon).
  let t = Date.parse(`${lastEnded}T12:00:00Z`);
  while (new Date(t).getUTCDay() !== 0) t -= DAY_MS;
  return { lastNight: new Date(t).toISOString().slice(0, 10), nights: 7 };
}

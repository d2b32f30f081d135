/** Report nights: noon to noon UTC (a whole Danish night in every season), named by their first day. */
import { nightWindow } from '../http/query.ts';
import type { NightWindow } from './vendorReport.ts';

export const DAY_MS = 24 * 3_600_000;
const HALF_DAY_MS = 12 * 3_600_000;

/** The night (noon-to-noon UTC, named by its first day) that contains t. */
export function nightOf(t: number): string {
  return new Date(Math.floor((t - HALF_DAY_MS) / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/**
 * `count` nights ending with `last` (the current night when absent), each cut at `now`; nights
 * that have not begun are left out.
 */
export function nightWindows(last: string | undefined, count: number, now: number): NightWindow[] {
  const end = nightWindow(last ?? nightOf(now));
  const out: NightWindow[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const from = end.from - i * DAY_MS;
    const to = from + DAY_MS;
    if (from >= now) continue;
    out.push({
      night: new Date(from).toISOString().slice(0, 10),
      from,
      to: Math.min(to, now),
      complete: to <= now,
    });
  }
  return out;
}

/** Dates for people and for the gateway's `night=` parameter (a night is noon to noon UTC). */
const DAY_MS = 24 * 3_600_000;

/** The night that holds `ms`, as `YYYY-MM-DD`. */
export function nightOf(ms: number): string {
  return new Date(ms - 12 * 3_600_000).toISOString().slice(0, 10);
}

/** The window of a night: noon UTC to the next noon. */
export function nightWindow(night: string): { from: number; to: number } {
  const from = Date.parse(`${night}T12:00:00Z`);
  return { from, to: from + DAY_MS };
}

/** The night before `night`. */
export function previousNight(night: string, back = 1): string {
  return nightOf(nightWindow(night).from + DAY_MS / 2 - back * DAY_MS);
}

export function isNight(s: string | null): s is string {
  return s !== null && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s));
}

export function dateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '–';
  return new Date(ms).toLocaleString('en-GB', {
    day: '2-digit',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export const DAY = DAY_MS;

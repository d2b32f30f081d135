/**
 * Astronomical clock and local time for the route, on suncalc (a maintained library). Pure: every
 * function takes the instant it works on.
 */
import { getPosition, getTimes } from 'suncalc';

/** Hersted Industripark, Albertslund (the DOLL route); the registry geometry centres here. */
export const ALBERTSLUND = { lat: 55.68, lon: 12.36, timeZone: 'Europe/Copenhagen' } as const;

export type AstroEvent = 'sunset' | 'sunrise' | 'dusk' | 'dawn';

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock parts of an instant in a time zone (Europe/Copenhagen by default, with DST). */
export function localParts(ms: number, timeZone: string = ALBERTSLUND.timeZone): LocalParts {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(ms)) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return {
    year: out.year ?? 1970,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

/** Offset of local time from UTC at an instant, ms (CET +1 h, CEST +2 h). */
export function utcOffsetMs(ms: number, timeZone: string = ALBERTSLUND.timeZone): number {
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant of a local wall-clock time. Two passes settle the offset across DST changes. */
export function localToUtc(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  timeZone: string = ALBERTSLUND.timeZone,
): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const first = guess - utcOffsetMs(guess, timeZone);
  return guess - utcOffsetMs(first, timeZone);
}

/** A calendar date, normalised (day 0 or 32 roll over). */
export function addDays(
  d: { year: number; month: number; day: number },
  days: number,
): { year: number; month: number; day: number } {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/**
 * Sun event on a local calendar day. Evening events (sunset, dusk) belong to the day, morning
 * events (sunrise, dawn) too; callers pick the day. Null where the event does not occur.
 */
export function sunEvent(
  event: AstroEvent,
  date: { year: number; month: number; day: number },
  where: { lat: number; lon: number } = ALBERTSLUND,
): number | null {
  // suncalc works on the solar day around the instant given: local noon names the day unambiguously.
  const noon = localToUtc(date.year, date.month, date.day, 12, 0);
  const t = getTimes(new Date(noon), where.lat, where.lon)[event];
  return t instanceof Date && Number.isFinite(t.getTime()) ? t.getTime() : null;
}

/** Sun altitude, degrees, refraction-corrected. */
export function sunAltitude(ms: number, where: { lat: number; lon: number } = ALBERTSLUND): number {
  return getPosition(new Date(ms), where.lat, where.lon).altitude;
}

/**
 * Horizontal illuminance from the sky for a sun altitude, lux: a smooth fit of clear-sky values
 * (about 400 lx at sunset, 3 lx at civil dusk, 0.01 lx at night, 100 klx at high sun).
 */
export function skyIlluminance(altitudeDeg: number): number {
  if (altitudeDeg >= 0) return 400 + 110_000 * Math.sin((altitudeDeg * Math.PI) / 180);
  if (altitudeDeg >= -6) return 3 * (400 / 3) ** ((altitudeDeg + 6) / 6);
  if (altitudeDeg >= -12) return 0.01 * 300 ** ((altitudeDeg + 12) / 6);
  return 0.01;
}

/** Monthly mean air temperature in Copenhagen, deg C (DMI 1991-2020 normals, rounded). */
const MONTHLY_MEAN_C = [1.5, 1.2, 3.2, 7.3, 11.6, 15.0, 17.6, 17.3, 14.0, 9.7, 5.6, 2.6] as const;

/** Ambient air temperature: monthly mean plus a daily swing peaking mid-afternoon. */
export function ambientTemperature(ms: number): number {
  const p = localParts(ms);
  const mean = MONTHLY_MEAN_C[p.month - 1] ?? 8;
  const hour = p.hour + p.minute / 60;
  return mean + 3 * Math.cos((2 * Math.PI * (hour - 15)) / 24);
}

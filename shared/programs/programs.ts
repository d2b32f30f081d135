/**
 * Night programs as an on-device controller runs them: switch points resolved for each night on
 * the astronomical clock and local time, then the level in force at an instant. Pure.
 */
import type { NightProgram, ProgramTime } from '../contract/index.ts';
import { addDays, localParts, localToUtc, sunEvent } from './astro.ts';

/**
 * The default Danish profile (design notes: Lejre): on at sunset, 50 % from 22:00, 10 % in the
 * small hours, 50 % from 04:45, full from 06:00 until sunrise, off at sunrise.
 */
export const DANISH_PROGRAM: NightProgram = {
  id: 'dk-default',
  name: 'Danish default (Lejre profile)',
  steps: [
    { at: { kind: 'astro', event: 'sunset', offsetMin: 0 }, level: 100 },
    { at: { kind: 'fixed', time: '22:00' }, level: 50 },
    { at: { kind: 'fixed', time: '01:30' }, level: 10 },
    { at: { kind: 'fixed', time: '04:45' }, level: 50 },
    { at: { kind: 'fixed', time: '06:00' }, level: 100 },
    { at: { kind: 'astro', event: 'sunrise', offsetMin: 0 }, level: 0 },
  ],
};

/** Slagelse: 30 % from 20:00 to 05:00, full otherwise at night. */
export const SLAGELSE_PROGRAM: NightProgram = {
  id: 'dk-slagelse',
  name: 'Slagelse 30 % night',
  steps: [
    { at: { kind: 'astro', event: 'sunset', offsetMin: 0 }, level: 100 },
    { at: { kind: 'fixed', time: '20:00' }, level: 30 },
    { at: { kind: 'fixed', time: '05:00' }, level: 100 },
    { at: { kind: 'astro', event: 'sunrise', offsetMin: 0 }, level: 0 },
  ],
};

/** Presence-adaptive (DOLL: 10-30 % without traffic, 100 % on detection). */
export const ADAPTIVE_PROGRAM: NightProgram = {
  id: 'dk-adaptive',
  name: 'Presence adaptive 20 %',
  steps: [
    { at: { kind: 'astro', event: 'sunset', offsetMin: 0 }, level: 20 },
    { at: { kind: 'astro', event: 'sunrise', offsetMin: 0 }, level: 0 },
  ],
  presence: { level: 100, holdS: 60, lookAhead: 3 },
};

export const BUILTIN_PROGRAMS = {
  danish: DANISH_PROGRAM,
  slagelse: SLAGELSE_PROGRAM,
  adaptive: ADAPTIVE_PROGRAM,
} as const;
export type BuiltinProgram = keyof typeof BUILTIN_PROGRAMS;

export interface Switch {
  at: number;
  level: number;
}

type Day = { year: number; month: number; day: number };

/**
 * The local date of the night an instant belongs to: a night runs from local noon to the next
 * local noon, so 01:30 on the 16th belongs to the night of the 15th.
 */
export function nightOf(ms: number): Day {
  // Local dates change only on whole hours (time zones here have whole-hour offsets): memoise
  // per UTC hour, as every lamp asks many times a second.
  const hour = Math.floor(ms / 3_600_000);
  const hit = nightByHour.get(hour);
  if (hit) return hit;
  const p = localParts(ms);
  const day = { year: p.year, month: p.month, day: p.day };
  const night = p.hour >= 12 ? day : addDays(day, -1);
  if (nightByHour.size > 256) nightByHour.clear();
  nightByHour.set(hour, night);
  return night;
}
const nightByHour = new Map<number, Day>();

function resolve(at: ProgramTime, night: Day): number | null {
  if (at.kind === 'fixed') {
    const [h, m] = at.time.split(':').map(Number) as [number, number];
    // Afternoon and evening times fall on the night's date, times after midnight on the next day.
    const date = h >= 12 ? night : addDays(night, 1);
    return localToUtc(date.year, date.month, date.day, h, m);
  }
  const date = at.event === 'sunset' || at.event === 'dusk' ? night : addDays(night, 1);
  const t = sunEvent(at.event, date);
  return t === null ? null : t + at.offsetMin * 60_000;
}

/**
 * Switch points of one night, in the program's order. A step never runs after a later step
 * (with a sunrise before 04:45 in June, the 04:45 step collapses onto sunrise and the off wins)
 * and never before the first one (with sunset after 22:00, the 50 % step starts at sunset).
 */
export function nightSchedule(program: NightProgram, night: Day): Switch[] {
  const times = program.steps.map((s) => resolve(s.at, night));
  const out: Switch[] = [];
  let later = Number.POSITIVE_INFINITY;
  const clamped: (number | null)[] = new Array(times.length).fill(null);
  for (let i = times.length - 1; i >= 0; i--) {
    const t = times[i];
    if (t === null || t === undefined) continue;
    later = Math.min(t, later);
    clamped[i] = later;
  }
  let earlier = Number.NEGATIVE_INFINITY;
  program.steps.forEach((s, i) => {
    const t = clamped[i];
    if (t === null || t === undefined) return;
    earlier = Math.max(t, earlier);
    out.push({ at: earlier, level: s.level });
  });
  return out;
}

/** Memoised schedules: every lamp on a program shares one per night. */
const cache = new WeakMap<NightProgram, Map<string, Switch[]>>();

export function scheduleFor(program: NightProgram, night: Day): Switch[] {
  let perProgram = cache.get(program);
  if (!perProgram) {
    perProgram = new Map();
    cache.set(program, perProgram);
  }
  const key = `${night.year}-${night.month}-${night.day}`;
  let s = perProgram.get(key);
  if (!s) {
    s = nightSchedule(program, night);
    if (perProgram.size > 8) perProgram.clear();
    perProgram.set(key, s);
  }
  return s;
}

/**
 * The program level at an instant: the last switch at or before it. Before the night's first
 * switch (the afternoon) the previous night's last level holds.
 */
export function programLevel(program: NightProgram, ms: number): number {
  const night = nightOf(ms);
  const tonight = scheduleFor(program, night);
  let level: number | undefined;
  for (const s of tonight) {
    if (s.at <= ms) level = s.level;
  }
  if (level !== undefined) return level;
  const before = scheduleFor(program, addDays(night, -1));
  return before[before.length - 1]?.level ?? 0;
}

/** Next switch strictly after an instant within its night and the next, or null. */
export function nextSwitch(program: NightProgram, ms: number): Switch | null {
  const night = nightOf(ms);
  for (const d of [night, addDays(night, 1)]) {
    const s = scheduleFor(program, d).find((x) => x.at > ms);
    if (s) return s;
  }
  return null;
}

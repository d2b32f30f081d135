import { getTimes } from 'suncalc';
import { describe, expect, it } from 'vitest';
import { NightProgram } from '../../shared/contract/index.ts';
import { ALBERTSLUND, localToUtc } from '../../shared/programs/astro.ts';
import {
  ADAPTIVE_PROGRAM,
  DANISH_PROGRAM,
  nextSwitch,
  nightSchedule,
  programLevel,
} from '../../shared/programs/programs.ts';
import { createSimClock, defaultStart } from '../../simulator/clock.ts';

/** Sun event straight from the library, for the local day whose noon is given. */
function suncalc(event: 'sunset' | 'sunrise' | 'dusk' | 'dawn', y: number, m: number, d: number) {
  const noon = localToUtc(y, m, d, 12, 0);
  return getTimes(new Date(noon), ALBERTSLUND.lat, ALBERTSLUND.lon)[event]!.getTime();
}

describe('night programs', () => {
  it('built-in programs satisfy the contract schema', () => {
    for (const p of [DANISH_PROGRAM, ADAPTIVE_PROGRAM])
      expect(NightProgram.safeParse(p).success).toBe(true);
  });

  it.each([
    // night, UTC offset (h) at 22:00, at 01:30 and at 04:45
    [2026, 11, 15, 1, 1, 1],
    [2026, 1, 10, 1, 1, 1],
    [2026, 3, 28, 1, 1, 2], // summer time starts at 02:00 on the 29th, between the two steps
    [2026, 9, 20, 2, 2, 2],
  ])(
    'Danish profile on the night of %i-%i-%i switches at sunset, fixed local times and sunrise',
    (y, m, d, offEve, offNight, offMorn) => {
      const s = nightSchedule(DANISH_PROGRAM, { year: y, month: m, day: d });
      const next = new Date(Date.UTC(y, m - 1, d + 1));
      const [ny, nm, nd] = [next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate()];
      expect(s.map((x) => x.level)).toEqual([100, 50, 10, 50, 100, 0]);
      expect(s[0]!.at).toBe(suncalc('sunset', y, m, d));
      expect(s[1]!.at).toBe(Date.UTC(y, m - 1, d, 22 - offEve, 0));
      expect(s[2]!.at).toBe(Date.UTC(ny, nm - 1, nd, 1 - offNight, 30));
      expect(s[3]!.at).toBe(Date.UTC(ny, nm - 1, nd, 4 - offMorn, 45));
      expect(s[5]!.at).toBe(suncalc('sunrise', ny, nm, nd));
    },
  );

  it('astro offsets and twilight events come from the library', () => {
    const p = NightProgram.parse({
      id: 'dusk-dawn',
      name: 'dusk to dawn',
      steps: [
        { at: { kind: 'astro', event: 'dusk', offsetMin: -15 }, level: 80 },
        { at: { kind: 'astro', event: 'dawn', offsetMin: 20 }, level: 0 },
      ],
    });
    const s = nightSchedule(p, { year: 2026, month: 12, day: 21 });
    expect(s[0]!.at).toBe(suncalc('dusk', 2026, 12, 21) - 15 * 60_000);
    expect(s[1]!.at).toBe(suncalc('dawn', 2026, 12, 22) + 20 * 60_000);
  });

  it('in midsummer, steps after sunrise collapse onto it and the lamp stays off', () => {
    const s = nightSchedule(DANISH_PROGRAM, { year: 2026, month: 6, day: 20 });
    const sunrise = suncalc('sunrise', 2026, 6, 21);
    expect(sunrise).toBeLessThan(Date.UTC(2026, 5, 21, 2, 45)); // before 04:45 CEST
    expect(s[3]!.at).toBe(sunrise);
    expect(s[4]!.at).toBe(sunrise);
    expect(programLevel(DANISH_PROGRAM, sunrise + 60_000)).toBe(0);
    expect(programLevel(DANISH_PROGRAM, sunrise - 60_000)).toBe(10);
  });

  it.each([
    ['2026-11-15T12:00:00Z', 0], // afternoon: off since sunrise
    ['2026-11-15T16:00:00Z', 100], // 17:00 CET, after sunset (~16:00 CET)
    ['2026-11-15T21:30:00Z', 50], // 22:30 CET
    ['2026-11-16T01:00:00Z', 10], // 02:00 CET
    ['2026-11-16T04:00:00Z', 50], // 05:00 CET
    ['2026-11-16T06:30:00Z', 100], // 07:30 CET, before sunrise (~07:50)
    ['2026-11-16T08:00:00Z', 0], // after sunrise
  ])('program level at %s is %i %%', (iso, level) => {
    expect(programLevel(DANISH_PROGRAM, Date.parse(iso))).toBe(level);
  });

  it('finds the next switch', () => {
    const t = Date.parse('2026-11-15T21:30:00Z');
    expect(nextSwitch(DANISH_PROGRAM, t)).toEqual({
      at: Date.parse('2026-11-16T00:30:00Z'),
      level: 10,
    });
  });
});

describe('simulated clock', () => {
  it('runs at speed, then continues at real time once it has caught up with the wall clock', () => {
    const wall0 = Date.parse('2026-11-16T12:00:00Z');
    const clock = createSimClock(wall0 - 60 * 60_000, wall0, 61);
    expect(clock.at(wall0)).toBe(wall0 - 3_600_000);
    expect(clock.at(wall0 + 30_000)).toBe(wall0 - 3_600_000 + 61 * 30_000);
    expect(clock.catchUpWall).toBe(wall0 + 60_000);
    for (const dt of [0, 1_000, 59_000, 60_000, 61_000, 3_600_000]) {
      expect(clock.at(wall0 + dt)).toBeLessThanOrEqual(wall0 + dt);
    }
    expect(clock.at(wall0 + 120_000)).toBe(wall0 + 120_000);
  });

  it('defaults a sped-up run to just before the sunset of the last complete night', () => {
    const now = Date.parse('2026-11-16T12:00:00Z');
    expect(defaultStart(now, 1)).toBe(now);
    const start = defaultStart(now, 60);
    expect(start).toBe(suncalc('sunset', 2026, 11, 15) - 30 * 60_000);
    const beforeDawn = Date.parse('2026-11-16T03:00:00Z');
    expect(defaultStart(beforeDawn, 60)).toBe(suncalc('sunset', 2026, 11, 14) - 30 * 60_000);
  });
});

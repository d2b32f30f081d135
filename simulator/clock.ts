/**
 * Simulated device time. With `speed` > 1 device time runs ahead of wall time; the platform rejects
 * timestamps more than 5 minutes in its future, so a sped-up run starts in the past and, once it
 * has caught up with wall time, continues at real time. Pure: wall time is passed in.
 */
import { addDays, localParts, sunEvent } from '../shared/programs/astro.ts';

export interface SimClock {
  readonly startSim: number;
  readonly startWall: number;
  readonly speed: number;
  /** Device time at a wall-clock instant. Also maps command times (wall) onto device time. */
  at(wall: number): number;
  /** Wall instant when device time catches up with wall time, or null if it never runs ahead. */
  readonly catchUpWall: number | null;
}

export function createSimClock(startSim: number, startWall: number, speed: number): SimClock {
  const behind = startWall - startSim;
  // Only a clock that starts behind and runs faster catches up; one that starts ahead stays ahead
  // (the caller warns: its readings fail the contract's skew check).
  const catchUpWall = speed > 1 && behind >= 0 ? startWall + behind / (speed - 1) : null;
  return {
    startSim,
    startWall,
    speed,
    catchUpWall,
    at(wall) {
      if (catchUpWall !== null && wall >= catchUpWall) return Math.round(wall);
      return Math.round(startSim + (wall - startWall) * speed);
    },
  };
}

/**
 * Default start of a run. At real time: now. Sped up: half an hour before the sunset that opens
 * the last night that has fully ended, so a whole night plays before device time reaches now.
 */
export function defaultStart(wallNow: number, speed: number): number {
  if (speed <= 1) return wallNow;
  const p = localParts(wallNow);
  const today = { year: p.year, month: p.month, day: p.day };
  for (let back = 1; back <= 3; back++) {
    const evening = addDays(today, -back);
    const sunset = sunEvent('sunset', evening);
    const sunrise = sunEvent('sunrise', addDays(evening, 1));
    if (sunset !== null && sunrise !== null && sunrise <= wallNow) return sunset - 30 * 60_000;
  }
  return wallNow - 24 * 3_600_000;
}

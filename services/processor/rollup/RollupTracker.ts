/**
 * Which rollup buckets need computing again, and how far the rollups are complete. Pure: the
 * processor's RollupMaintainer feeds it the minutes of every telemetry batch the store took
 * (before the journal commits past it), asks what is due, and persists its snapshot.
 *
 * Why this is exact: a bucket's rollup is always recomputed whole from the store's data (never
 * updated incrementally), so a replayed, duplicated or late reading only makes its bucket dirty
 * again, and computing it again gives what one computation over all the data gives. The dirty
 * set is persisted whenever it grows, before the journal's cursor moves past the readings that
 * made it grow, so a processor killed at any point computes on restart what was left.
 */
import type { RollupState } from '../../../shared/storage/port.ts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

export interface TrackerSnapshot {
  /** Newest device time of the telemetry stored so far. */
  maxTs: number;
  /** First minute the rollups cover (history before it was written without them); null: none yet. */
  since: number | null;
  /** Minutes and hours (bucket starts) to compute again. */
  minutes: number[];
  hours: number[];
}

export interface TrackerOptions {
  /** A minute is closed once the stored telemetry is this far past its end (device time), ms. */
  graceMs: number;
  /** A minute dirty this long (wall clock) is computed even if still open, ms (lamps gone quiet). */
  maxAgeMs: number;
  /** Most minutes computed in one go. */
  maxMinutesPerRound: number;
}

export const EMPTY_SNAPSHOT: TrackerSnapshot = { maxTs: 0, since: null, minutes: [], hours: [] };

const floorTo = (t: number, size: number) => Math.floor(t / size) * size;
const ceilTo = (t: number, size: number) => Math.ceil(t / size) * size;

export class RollupTracker {
  private maxTs: number;
  private since: number | null;
  /** Dirty minute -> wall time it became dirty, and marks so far (new data while computing it). */
  private readonly minutes = new Map<number, { since: number; marks: number }>();
  private readonly hours = new Set<number>();
  /** Minutes with new data since the last `takeTouched` (for the last-state scan). */
  private readonly touched = new Set<number>();

  constructor(
    snapshot: TrackerSnapshot,
    private readonly opts: TrackerOptions,
    now: number,
  ) {
    this.maxTs = snapshot.maxTs;
    this.since = snapshot.since;
    for (const m of snapshot.minutes) {
      this.minutes.set(m, { since: now, marks: 0 });
      this.touched.add(m);
    }
    for (const h of snapshot.hours) this.hours.add(h);
  }

  /**
   * Minutes of stored telemetry and its newest device time; true when a bucket became dirty
   * (then persist the snapshot before the journal commits past these readings).
   */
  mark(minutes: Iterable<number>, maxTs: number, now: number): boolean {
    let grew = false;
    if (maxTs > this.maxTs) this.maxTs = maxTs;
    for (const m of minutes) {
      this.touched.add(m);
      if (this.since === null) {
        this.since = m;
        grew = true;
      }
      const dirty = this.minutes.get(m);
      if (dirty) dirty.marks++;
      else {
        this.minutes.set(m, { since: now, marks: 0 });
        grew = true;
      }
    }
    return grew;
  }

  /** Minutes up to which every bucket is closed by device time. */
  private get closedUntil(): number {
    return floorTo(this.maxTs - this.opts.graceMs, MINUTE_MS);
  }

  /**
   * Dirty minutes to compute now, oldest first: closed ones, and open ones dirty for too long
   * (`all`: every dirty one, at shutdown). Hand the answer back to `minutesDone` once they are computed.
   */
  dueMinutes(now: number, all = false): { minute: number; marks: number }[] {
    const closed = this.closedUntil;
    const due: { minute: number; marks: number }[] = [];
    for (const [minute, d] of this.minutes)
      if (all || minute + MINUTE_MS <= closed || now - d.since >= this.opts.maxAgeMs)
        due.push({ minute, marks: d.marks });
    return due.sort((a, b) => a.minute - b.minute).slice(0, this.opts.maxMinutesPerRound);
  }

  /** Minutes computed: clean again unless new data came meanwhile; their hours are dirty. */
  minutesDone(done: readonly { minute: number; marks: number }[], now: number): void {
    for (const { minute, marks } of done) {
      const d = this.minutes.get(minute);
      if (d && d.marks === marks) this.minutes.delete(minute);
      else if (d) d.since = now;
      this.hours.add(floorTo(minute, HOUR_MS));
    }
  }

  /** Dirty hours whose minutes are all complete, oldest first. */
  dueHours(): number[] {
    const complete = this.state().completeUntil1m;
    return [...this.hours].filter((h) => h + HOUR_MS <= complete).sort((a, b) => a - b);
  }

  hoursDone(done: readonly number[]): void {
    for (const h of done) this.hours.delete(h);
  }

  /** Scan these minutes for last-state again (a scan failed). */
  touch(minutes: readonly number[]): void {
    for (const m of minutes) this.touched.add(m);
  }

  /** Minutes with new data since the last call, oldest first (and forget them). */
  takeTouched(): number[] {
    const out = [...this.touched].sort((a, b) => a - b);
    this.touched.clear();
    return out;
  }

  private state(): { completeUntil1m: number; completeUntil1h: number } {
    let c1m = this.closedUntil;
    for (const m of this.minutes.keys()) if (m < c1m) c1m = m;
    let c1h = floorTo(c1m, HOUR_MS);
    for (const h of this.hours) if (h < c1h) c1h = h;
    return { completeUntil1m: Math.max(0, c1m), completeUntil1h: Math.max(0, c1h) };
  }

  /** What readers may take from the rollups (written to the store). */
  rollupState(): RollupState {
    if (this.since === null)
      return { '1m': { since: 0, completeUntil: 0 }, '1h': { since: 0, completeUntil: 0 } };
    const { completeUntil1m, completeUntil1h } = this.state();
    return {
      '1m': { since: this.since, completeUntil: Math.max(this.since, completeUntil1m) },
      '1h': {
        since: ceilTo(this.since, HOUR_MS),
        completeUntil: Math.max(ceilTo(this.since, HOUR_MS), completeUntil1h),
      },
    };
  }

  get dirtyMinutes(): number {
    return this.minutes.size;
  }

  snapshot(): TrackerSnapshot {
    return {
      maxTs: this.maxTs,
      since: this.since,
      minutes: [...this.minutes.keys()].sort((a, b) => a - b),
      hours: [...this.hours].sort((a, b) => a - b),
    };
  }
}

/** Sorted bucket starts as [from, to) runs of adjacent buckets, each at most `max` long. */
export function runsOf(starts: readonly number[], size: number, max: number): [number, number][] {
  const runs: [number, number][] = [];
  for (const s of starts) {
    const last = runs[runs.length - 1];
    if (last && last[1] === s && (last[1] - last[0]) / size < max) last[1] = s + size;
    else runs.push([s, s + size]);
  }
  return runs;
}

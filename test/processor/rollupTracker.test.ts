import { describe, expect, it } from 'vitest';
import {
  EMPTY_SNAPSHOT,
  HOUR_MS,
  MINUTE_MS,
  RollupTracker,
  runsOf,
} from '../../services/processor/rollup/RollupTracker.ts';

const H0 = Date.UTC(2026, 10, 21, 10, 0, 0);
const m = (k: number) => H0 + k * MINUTE_MS;
const opts = { graceMs: 5_000, maxAgeMs: 30_000, maxMinutesPerRound: 100 };
const minutesOf = (due: { minute: number }[]) => due.map((d) => (d.minute - H0) / MINUTE_MS);

describe('RollupTracker', () => {
  it('computes a minute once the stored data is past its end by the grace, or once it is old', () => {
    const t = new RollupTracker(EMPTY_SNAPSHOT, opts, 0);
    expect(t.mark([m(0)], m(0) + 59_000, 0)).toBe(true);
    expect(t.mark([m(0)], m(0) + 59_500, 0)).toBe(false); // already dirty: nothing to persist
    expect(t.dueMinutes(1_000)).toEqual([]);
    t.mark([m(1)], m(1) + 4_000, 0);
    expect(t.dueMinutes(1_000)).toEqual([]); // within the grace
    t.mark([m(1)], m(1) + 5_000, 0);
    expect(minutesOf(t.dueMinutes(1_000))).toEqual([0]);
    // Minute 1 is still open; after maxAge it is computed anyway.
    expect(minutesOf(t.dueMinutes(30_000))).toEqual([0, 1]);
    expect(minutesOf(t.dueMinutes(1_000, true))).toEqual([0, 1]);
  });

  it('keeps a minute dirty when data arrived while it was computed', () => {
    const t = new RollupTracker(EMPTY_SNAPSHOT, opts, 0);
    t.mark([m(0), m(1)], m(2) + 10_000, 0);
    const due = t.dueMinutes(0);
    expect(minutesOf(due)).toEqual([0, 1]);
    t.mark([m(1)], m(2), 0); // a late reading of minute 1, stored during the computation
    t.minutesDone(due, 0);
    expect(t.snapshot().minutes).toEqual([m(1)]);
    expect(t.snapshot().hours).toEqual([H0]);
  });

  it('says how far the rollups are complete, and computes an hour once its minutes are', () => {
    const t = new RollupTracker(EMPTY_SNAPSHOT, opts, 0);
    expect(t.rollupState()['1m'].completeUntil).toBe(0);
    for (let k = 0; k < 60; k++) t.mark([m(k)], m(k) + 59_000, 0);
    t.mark([m(60)], m(60) + 10_000, 0);
    // Minutes 0-59 closed but not computed: nothing is complete yet.
    expect(t.rollupState()).toEqual({
      '1m': { since: H0, completeUntil: H0 },
      '1h': { since: H0, completeUntil: H0 },
    });
    const due = t.dueMinutes(0);
    expect(due).toHaveLength(60);
    expect(t.dueHours()).toEqual([]);
    t.minutesDone(due, 0);
    expect(t.rollupState()['1m'].completeUntil).toBe(m(60));
    expect(t.rollupState()['1h'].completeUntil).toBe(H0); // the hour itself is not computed yet
    expect(t.dueHours()).toEqual([H0]);
    t.hoursDone([H0]);
    expect(t.rollupState()['1h'].completeUntil).toBe(H0 + HOUR_MS);
    // A late reading of minute 7 takes both resolutions back to it until computed again.
    t.mark([m(7)], m(7) + 1, 0);
    expect(t.rollupState()).toEqual({
      '1m': { since: H0, completeUntil: m(7) },
      '1h': { since: H0, completeUntil: H0 },
    });
    t.minutesDone(t.dueMinutes(0), 0);
    expect(t.dueHours()).toEqual([H0]);
  });

  it('starts from a snapshot where the last one stopped', () => {
    const t = new RollupTracker(EMPTY_SNAPSHOT, opts, 0);
    t.mark([m(3), m(4)], m(5) + 30_000, 0);
    t.minutesDone(t.dueMinutes(0).slice(0, 1), 0);
    const again = new RollupTracker(JSON.parse(JSON.stringify(t.snapshot())), opts, 0);
    expect(again.snapshot()).toEqual(t.snapshot());
    expect(again.dueMinutes(0)).toEqual(t.dueMinutes(0).map((d) => ({ ...d, marks: 0 })));
    expect(again.rollupState()).toEqual(t.rollupState());
    // Its dirty minutes are scanned for last-state again.
    expect(again.takeTouched()).toEqual([m(4)]);
    expect(again.takeTouched()).toEqual([]);
  });

  it('groups bucket starts into runs of adjacent buckets', () => {
    expect(runsOf([0, 60, 120, 300, 360], 60, 2)).toEqual([
      [0, 120],
      [120, 180],
      [300, 420],
    ]);
    expect(runsOf([], 60, 10)).toEqual([]);
  });
});

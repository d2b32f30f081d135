/**
 * Keeps the rollups, the last-state and the retention of the store, next to the StoreWriter:
 * told of every telemetry batch the store took (before the journal commits past it), it computes
 * the dirty 1-minute buckets again from raw data, then the hours from their minutes, on a short
 * timer; it writes how far the rollups are complete for readers (rollup_state), scans the
 * minutes that got new data for each lamp's newest reading (last_state), and deletes what is
 * older than each resolution keeps. The same code for every store: it only uses the port.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../../shared/log.ts';
import type {
  Resolution,
  RollupState,
  Store,
  StoredTelemetry,
} from '../../../shared/storage/port.ts';
import { StoreError } from '../../../shared/storage/port.ts';
import { computeRollups } from '../../../shared/storage/rollup.ts';
import { addMinute } from '../../../shared/storage/schema.ts';
import { computeSteady } from '../../../shared/storage/steady.ts';
import type { JournalEntry } from '../spool/Journal.ts';
import {
  EMPTY_SNAPSHOT,
  HOUR_MS,
  MINUTE_MS,
  RollupTracker,
  runsOf,
  type TrackerOptions,
  type TrackerSnapshot,
} from './RollupTracker.ts';

export const ROLLUP_DEFAULTS = {
  intervalMs: 2_000,
  graceMs: 5_000,
  maxAgeMs: 30_000,
  /** Minutes computed per round; one store query covers at most `runMinutes` of them. */
  maxMinutesPerRound: 120,
  runMinutes: 10,
  retentionIntervalMs: 3_600_000,
} as const;

/** How long each resolution is kept, ms; 0 keeps it forever. */
export type RetentionPolicy = Record<Resolution, number>;

export interface MaintainerOptions {
  /** Where the dirty buckets are persisted (the spool dir). */
  dir: string;
  retention: RetentionPolicy;
  intervalMs?: number;
  retentionIntervalMs?: number;
  tracker?: Partial<TrackerOptions>;
}

const FILE = 'rollups.json';
/** Rounds at most at shutdown. */
const STOP_ROUNDS = 10;

/** The minutes and newest device time of a journal entry's telemetry. */
export function telemetryMinutes(entry: JournalEntry): { minutes: number[]; maxTs: number } {
  if (entry.kind !== 'telemetry') return { minutes: [], maxTs: 0 };
  if (entry.encoded?.minutes)
    return { minutes: [...entry.encoded.minutes], maxTs: entry.encoded.maxTs ?? 0 };
  const minutes: number[] = [];
  let maxTs = 0;
  for (const r of entry.records as { ts: number }[]) {
    addMinute(minutes, r.ts);
    if (r.ts > maxTs) maxTs = r.ts;
  }
  return { minutes, maxTs };
}

async function loadSnapshot(path: string): Promise<TrackerSnapshot> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as Partial<TrackerSnapshot>;
    const ints = (x: unknown) =>
      Array.isArray(x) ? x.filter((n): n is number => Number.isSafeInteger(n)) : [];
    return {
      maxTs: Number.isSafeInteger(v.maxTs) ? (v.maxTs as number) : 0,
      since: Number.isSafeInteger(v.since) ? (v.since as number) : null,
      minutes: ints(v.minutes),
      hours: ints(v.hours),
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_SNAPSHOT;
    throw err;
  }
}

export class RollupMaintainer {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;
  /** The last round failed (the store is down). */
  private failed = false;
  private written: string | undefined;
  private lastRetention = Number.NEGATIVE_INFINITY;
  /** Newest reading time per lamp in last_state, as far as this processor knows. */
  private readonly known = new Map<string, number>();
  private knownLoaded = false;
  private readonly path: string;

  private constructor(
    private readonly store: Store,
    private readonly tracker: RollupTracker,
    private readonly opts: MaintainerOptions,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    this.path = join(opts.dir, FILE);
  }

  static async open(
    store: Store,
    opts: MaintainerOptions,
    log: Logger,
    now: () => number = Date.now,
  ): Promise<RollupMaintainer> {
    const snapshot = await loadSnapshot(join(opts.dir, FILE));
    const tracker = new RollupTracker(snapshot, { ...ROLLUP_DEFAULTS, ...opts.tracker }, now());
    return new RollupMaintainer(store, tracker, opts, log, now);
  }

  /**
   * The store took these entries (called before the journal commits past them). Synchronous:
   * a bucket that became dirty is on disk before the commit.
   */
  stored(entries: readonly JournalEntry[]): void {
    let grew = false;
    for (const e of entries) {
      const { minutes, maxTs } = telemetryMinutes(e);
      if (minutes.length > 0 && this.tracker.mark(minutes, maxTs, this.now())) grew = true;
    }
    if (grew) this.persist();
  }

  start(): void {
    if (this.timer || this.stopped) return;
    const interval = this.opts.intervalMs ?? ROLLUP_DEFAULTS.intervalMs;
    this.timer = setInterval(() => {
      this.round ??= this.runRound().finally(() => {
        this.round = undefined;
      });
    }, interval);
    this.timer.unref();
  }

  /** One round now: whatever is due (`all`: every dirty minute, open or not) is computed. */
  async flush(all = false): Promise<void> {
    await this.round;
    this.round = this.runRound(all);
    await this.round.finally(() => {
      this.round = undefined;
    });
  }

  /**
   * Stop the timer and compute every dirty minute, open ones too (a bounded number of rounds;
   * what is left stays in rollups.json for the next start), persist.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (let i = 0; i < STOP_ROUNDS; i++) {
      await this.flush(true).catch(() => undefined);
      if (this.tracker.dirtyMinutes === 0 || this.failed) break;
    }
    this.persist();
  }

  /** What the readers are told (also written to the store). */
  rollupState(): RollupState {
    return this.tracker.rollupState();
  }

  private persisted: string | undefined;

  private persist(): void {
    const text = JSON.stringify(this.tracker.snapshot());
    if (text === this.persisted) return;
    this.persisted = text;
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, this.path);
  }

  private async runRound(all = false): Promise<void> {
    this.failed = false;
    try {
      await this.updateLastState();
      await this.computeDue(all);
      const state = JSON.stringify(this.tracker.rollupState());
      if (state !== this.written) {
        await this.store.writeRollupState(this.tracker.rollupState());
        this.written = state;
      }
      await this.applyRetention();
      // The newest stored time moved on too (the dirty set may not have grown).
      this.persist();
    } catch (err) {
      // The store is down or refused: everything stays dirty and is tried again next round.
      this.failed = true;
      this.log.warn({ err: (err as Error).message }, 'rollup round failed; retrying');
    }
  }

  private async computeDue(all: boolean): Promise<void> {
    const due = this.tracker.dueMinutes(this.now(), all);
    if (due.length > 0) {
      for (const [from, to] of runsOf(
        due.map((d) => d.minute),
        MINUTE_MS,
        ROLLUP_DEFAULTS.runMinutes,
      ))
        await computeRollups(this.store, '1m', from, to);
      this.tracker.minutesDone(due, this.now());
      this.persist();
    }
    const hours = this.tracker.dueHours();
    if (hours.length > 0) {
      const state = this.tracker.rollupState();
      const due = new Set(hours);
      for (const h of hours) {
        await computeRollups(this.store, '1h', h, h + HOUR_MS);
        // The steady-state tier of the hour, and of the next one when it is already done: its
        // first minutes count only if this hour's last ones held their level (steady.ts).
        const next = h + HOUR_MS;
        const end = !due.has(next) && next + HOUR_MS <= state['1m'].completeUntil ? next : h;
        await computeSteady(this.store, h, end + HOUR_MS, state);
      }
      this.tracker.hoursDone(hours);
      this.persist();
    }
  }

  /** Each lamp's newest reading in the minutes that got data, into last_state if newer. */
  private async updateLastState(): Promise<void> {
    if (!this.knownLoaded) {
      for (const r of await this.store.lastState({})) this.known.set(r.lampId, r.ts);
      this.knownLoaded = true;
    }
    const touched = this.tracker.takeTouched();
    try {
      for (const [from, to] of runsOf(touched, MINUTE_MS, ROLLUP_DEFAULTS.runMinutes)) {
        const newer: StoredTelemetry[] = [];
        for (const r of await this.store.latest({}, { from, to })) {
          const seen = this.known.get(r.lampId);
          if (seen === undefined || r.ts > seen) newer.push(r);
        }
        if (newer.length === 0) continue;
        await this.store.writeLastState(newer);
        for (const r of newer) this.known.set(r.lampId, r.ts);
      }
    } catch (err) {
      // Scan these minutes again next round.
      this.tracker.touch(touched);
      throw err;
    }
  }

  private async applyRetention(): Promise<void> {
    const now = this.now();
    const every = this.opts.retentionIntervalMs ?? ROLLUP_DEFAULTS.retentionIntervalMs;
    if (now - this.lastRetention < every) return;
    this.lastRetention = now;
    for (const source of ['raw', '1m', '1h'] as const) {
      const keep = this.opts.retention[source];
      if (keep <= 0) continue;
      try {
        await this.store.deleteBefore(source, now - keep);
      } catch (err) {
        if (err instanceof StoreError && !err.retryable) {
          this.log.warn({ err: err.message, source }, 'retention not applied by the processor');
          continue;
        }
        this.lastRetention = Number.NEGATIVE_INFINITY;
        throw err;
      }
    }
  }
}

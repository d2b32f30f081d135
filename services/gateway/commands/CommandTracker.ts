import type { CommandAck, LampCommand } from '../../../shared/contract/index.ts';
import type { CommandSummary, CommandTarget, LampCommandState } from '../api.ts';

export interface TrackerOptions {
  /** How long a lamp has to ack before a resend, ms. */
  timeoutMs: number;
  /** Resends after the first send; then the lamp counts as timed out. */
  retries: number;
  now: () => number;
  /** Send (again) to these lamps. The payload is the same command, so lamps dedupe by commandId. */
  send: (command: LampCommand, lampIds: readonly string[]) => void;
  /**
   * A command's summary changed (first ack, timeouts, completion, a late ack after it). `done` is
   * true once per command, when it completes (the gateway audits `command.completed` then).
   */
  onChange?: (summary: CommandSummary, done: boolean) => void;
  /** Completed commands kept in memory for listing and reports. */
  keep?: number;
}

interface LampEntry {
  state: LampCommandState['state'];
  attempts: number;
  rttMs?: number;
  reason?: string;
  actualLevel?: number;
}

interface Tracked {
  command: LampCommand;
  target: CommandTarget;
  issuedBy: string;
  firstSentAt: number;
  deadline: number;
  attempt: number;
  lamps: Map<string, LampEntry>;
  counts: CommandSummary['counts'];
  rtts: number[];
  completedAt?: number;
}

/**
 * Tracks every lamp's acknowledgement of every command: pure, clock injected, no I/O. All lamps
 * of a command share one deadline, so checking timeouts costs one comparison per open command,
 * and only the still-pending lamps are resent (same commandId: a lamp that did get the first copy
 * acks again without reapplying).
 */
export class CommandTracker {
  private readonly open = new Map<string, Tracked>();
  private readonly done = new Map<string, Tracked>();

  constructor(private readonly opts: TrackerOptions) {}

  begin(command: LampCommand, target: CommandTarget, lampIds: readonly string[]): CommandSummary {
    const t0 = this.opts.now();
    const lamps = new Map<string, LampEntry>();
    for (const id of lampIds) lamps.set(id, { state: 'pending', attempts: 1 });
    const tracked: Tracked = {
      command,
      target,
      issuedBy: command.issuedBy ?? 'unknown',
      firstSentAt: t0,
      deadline: t0 + this.opts.timeoutMs,
      attempt: 1,
      lamps,
      counts: { pending: lamps.size, acked: 0, rejected: 0, timedOut: 0 },
      rtts: [],
    };
    this.open.set(command.commandId, tracked);
    this.opts.send(command, [...lamps.keys()]);
    if (lamps.size === 0) this.complete(command.commandId, tracked);
    return summarize(tracked);
  }

  /** Apply a lamp's ack; false when it belongs to no command this gateway tracks. */
  onAck(ack: CommandAck): boolean {
    const tracked = this.open.get(ack.commandId) ?? this.done.get(ack.commandId);
    const entry = tracked?.lamps.get(ack.lampId);
    if (!tracked || !entry) return false;
    if (ack.actualLevel !== undefined) entry.actualLevel = ack.actualLevel;
    if (entry.state !== 'pending' && entry.state !== 'timedOut') return true;
    // A late ack after the timeout still counts: the lamp did apply the command.
    const rtt = this.opts.now() - tracked.firstSentAt;
    tracked.counts[entry.state] -= 1;
    if (ack.status === 'rejected') {
      entry.state = 'rejected';
      if (ack.reason !== undefined) entry.reason = ack.reason;
    } else {
      entry.state = 'acked';
      entry.rttMs = rtt;
      tracked.rtts.push(rtt);
    }
    tracked.counts[entry.state] += 1;
    if (tracked.counts.pending === 0 && tracked.completedAt === undefined)
      this.complete(ack.commandId, tracked);
    else this.changed(tracked, false);
    return true;
  }

  /** Handle deadlines: resend to pending lamps or give up on them. Call often (every ~50 ms). */
  tick(): void {
    const t = this.opts.now();
    for (const [id, tracked] of this.open) {
      if (t < tracked.deadline) continue;
      const pending = [...tracked.lamps]
        .filter(([, e]) => e.state === 'pending')
        .map(([lampId]) => lampId);
      if (tracked.attempt <= this.opts.retries) {
        tracked.attempt += 1;
        tracked.deadline = t + this.opts.timeoutMs;
        for (const lampId of pending) tracked.lamps.get(lampId)!.attempts += 1;
        this.opts.send(tracked.command, pending);
        continue;
      }
      for (const lampId of pending) tracked.lamps.get(lampId)!.state = 'timedOut';
      tracked.counts.pending = 0;
      tracked.counts.timedOut += pending.length;
      this.complete(id, tracked);
    }
  }

  get(commandId: string): CommandSummary | undefined {
    const t = this.open.get(commandId) ?? this.done.get(commandId);
    return t && summarize(t);
  }

  lamps(commandId: string): LampCommandState[] | undefined {
    const t = this.open.get(commandId) ?? this.done.get(commandId);
    if (!t) return undefined;
    return [...t.lamps].map(([lampId, e]) => ({ lampId, ...e }));
  }

  /** Newest first. */
  list(
    filter: (s: CommandSummary, lampIds: () => Iterable<string>) => boolean = () => true,
    limit = 100,
  ): CommandSummary[] {
    const all = [...this.open.values(), ...this.done.values()].sort(
      (a, b) => b.firstSentAt - a.firstSentAt,
    );
    const out: CommandSummary[] = [];
    for (const t of all) {
      const s = summarize(t);
      if (filter(s, () => t.lamps.keys())) out.push(s);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Round-trip samples of acked lamps, for reports: lampId -> rtts, ms. */
  rttsByLamp(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const t of [...this.open.values(), ...this.done.values()]) {
      for (const [lampId, e] of t.lamps) {
        if (e.rttMs === undefined) continue;
        const list = out.get(lampId);
        if (list) list.push(e.rttMs);
        else out.set(lampId, [e.rttMs]);
      }
    }
    return out;
  }

  get openCount(): number {
    return this.open.size;
  }

  private complete(id: string, tracked: Tracked): void {
    tracked.completedAt = this.opts.now();
    this.open.delete(id);
    this.done.set(id, tracked);
    const keep = this.opts.keep ?? 1000;
    while (this.done.size > keep) this.done.delete(this.done.keys().next().value!);
    this.changed(tracked, true);
  }

  private changed(tracked: Tracked, done: boolean): void {
    this.opts.onChange?.(summarize(tracked), done);
  }
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** A command's status from its lamps' counts (n lamps). */
export function statusOf(counts: CommandSummary['counts'], n: number): CommandSummary['status'] {
  return counts.pending > 0
    ? 'pending'
    : counts.acked === n
      ? 'acked'
      : counts.rejected === n
        ? 'rejected'
        : counts.timedOut === n
          ? 'timedOut'
          : 'partial';
}

function summarize(t: Tracked): CommandSummary {
  const { counts } = t;
  const n = t.lamps.size;
  const status = statusOf(counts, n);
  const sorted = [...t.rtts].sort((a, b) => a - b);
  const s: CommandSummary = {
    commandId: t.command.commandId,
    target: t.target,
    type: t.command.type,
    issuedBy: t.issuedBy,
    issuedAt: t.command.issuedAt,
    status,
    lampCount: n,
    counts: { ...counts },
    rttMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? null },
  };
  if (t.command.type === 'override') s.level = t.command.level;
  if (t.completedAt !== undefined) s.completedAt = t.completedAt;
  return s;
}

/**
 * One WebSocket client's outgoing lamp updates: pure, clock and socket injected. Two rules keep a
 * client from costing unbounded memory or bandwidth:
 * - at most one update per lamp per `minIntervalMs`; a newer value replaces the waiting one;
 * - while more than `maxBufferedBytes` wait in the socket, nothing is written; only the latest
 *   value per lamp is kept and sent once the socket drains.
 * Pending memory is therefore bounded by the number of lamps in the client's scope.
 */
export interface SessionIo<T> {
  /** Write one frame holding these updates (the caller encodes them). */
  send(batch: T[]): void;
  bufferedAmount(): number;
}

export interface SessionOptions {
  minIntervalMs: number;
  maxBufferedBytes: number;
  now: () => number;
  /** Most lamps in one delta frame when flushing a backlog. */
  maxBatch?: number;
  /**
   * At most one frame per this many ms from `offer`; what arrives in between waits for the
   * next `flush` (the server's timer). Without it a fleet reporting 10,000 readings/s went out
   * as about 5,000 frames a second of one lamp each, and the page spent half its time in the
   * per-message tasks. Default 0: every offer that may go out goes out at once.
   */
  minFrameGapMs?: number;
}

export interface SessionStats {
  /** Lamp updates written to the socket. */
  sent: number;
  /** Updates replaced by a newer value before they were sent. */
  coalesced: number;
  frames: number;
}

export class ClientSession<T> {
  private readonly lastSent = new Map<string, number>();
  /** lampId -> the latest update waiting to go out. */
  private readonly pending = new Map<string, T>();
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  readonly stats: SessionStats = { sent: 0, coalesced: 0, frames: 0 };

  constructor(
    private readonly io: SessionIo<T>,
    private readonly opts: SessionOptions,
  ) {}

  /** Offer a lamp's latest state. */
  offer(lampId: string, update: T): void {
    const t = this.opts.now();
    const last = this.lastSent.get(lampId);
    const early = last !== undefined && t - last < this.opts.minIntervalMs;
    const gapOk = t - this.lastWriteAt >= (this.opts.minFrameGapMs ?? 0);
    if (early || !gapOk || this.pending.size > 0 || this.slow()) {
      if (this.pending.has(lampId)) this.stats.coalesced += 1;
      // delete first so the map keeps arrival order of the latest values
      this.pending.delete(lampId);
      this.pending.set(lampId, update);
      if (!early && gapOk && !this.slow()) this.flush();
      return;
    }
    this.lastSent.set(lampId, t);
    this.write([update]);
  }

  /** Send what is due. Called by a timer and whenever the socket may have drained. */
  flush(): void {
    if (this.pending.size === 0 || this.slow()) return;
    const t = this.opts.now();
    const max = this.opts.maxBatch ?? 500;
    let batch: T[] = [];
    for (const [lampId, update] of this.pending) {
      const last = this.lastSent.get(lampId);
      if (last !== undefined && t - last < this.opts.minIntervalMs) continue;
      this.pending.delete(lampId);
      this.lastSent.set(lampId, t);
      batch.push(update);
      if (batch.length >= max) {
        this.write(batch);
        batch = [];
        if (this.slow()) return;
      }
    }
    if (batch.length > 0) this.write(batch);
  }

  /** Forget a lamp's rate history (after a new snapshot). */
  reset(): void {
    this.pending.clear();
    this.lastSent.clear();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  slow(): boolean {
    return this.io.bufferedAmount() > this.opts.maxBufferedBytes;
  }

  private write(batch: T[]): void {
    this.lastWriteAt = this.opts.now();
    this.stats.sent += batch.length;
    this.stats.frames += 1;
    this.io.send(batch);
  }
}

/**
 * Drains the journal into the store, one batch at a time and in order. A retryable failure keeps
 * the batch and retries it with backoff while new messages pile up in the journal (memory stays
 * bounded: past the cache they are on disk only). A batch the store refuses for good is set aside
 * in `rejected.jsonl` next to the journal, never dropped silently.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../shared/log.ts';
import {
  type EncodedRecords,
  type Store,
  StoreError,
  type WriteKind,
} from '../../shared/storage/port.ts';
import type { ProcessorMetrics } from './metrics.ts';
import { type Chunk, entrySize, type Journal, type JournalEntry } from './spool/Journal.ts';

export interface WriterOptions {
  batchSize: number;
  flushIntervalMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  spoolDir: string;
  /** Store writes in flight at once while the store keeps up (commits stay in order). */
  maxInFlight: number;
}

async function writeGroup(store: Store, kind: string, records: never[]): Promise<void> {
  switch (kind as WriteKind) {
    case 'telemetry':
      return store.writeTelemetry(records);
    case 'event':
      return store.writeEvents(records);
    case 'status':
      return store.writeStatus(records);
    case 'ack':
      return store.writeAcks(records);
    case 'alarm':
      return store.writeAlarms(records);
    default:
      throw new StoreError(`unknown journal kind ${kind}`, false);
  }
}

export class StoreWriter {
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private sinceTake = 0;
  private up = true;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly journal: Journal,
    private readonly store: Store,
    private readonly opts: WriterOptions,
    private readonly metrics: ProcessorMetrics,
    private readonly log: Logger,
    /**
     * Told of every batch the store took, before the journal commits past it (the rollups mark
     * their dirty buckets here, durably, so a crash right after the commit loses none).
     */
    private readonly onStored?: (entries: readonly JournalEntry[]) => void,
  ) {}

  get storeUp(): boolean {
    return this.up;
  }

  /** How long the oldest write in flight has been waiting for the store, ms (0: none). */
  get oldestWriteMs(): number {
    const head = this.inFlight[0];
    return head ? performance.now() - head.started : 0;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Tell the writer that `readings` were appended; it wakes early once a batch is full, unless it
   * is backing off from a store that is down (new data must not cut the backoff short).
   */
  appended(readings: number): void {
    this.sinceTake += readings;
    if (this.up && this.sinceTake >= this.opts.batchSize) this.wakeUp?.();
  }

  /** Resolves when everything journaled so far is stored (or `timeoutMs` passes: false). */
  async drained(timeoutMs: number): Promise<boolean> {
    if (!this.journal.hasWork && !this.busy) return true;
    this.wakeUp?.();
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Finish the batch in flight, then stop. What is left stays in the journal for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.loop;
  }

  private inFlight: { chunk: Chunk; result: Promise<unknown>; started: number }[] = [];

  private get busy(): boolean {
    return this.inFlight.length > 0;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }

  /** One attempt at one chunk; resolves with the error instead of rejecting. */
  private attempt(chunk: Chunk): Promise<unknown> {
    const groups = new Map<string, { records: never[]; encoded: EncodedRecords[] }>();
    for (const e of chunk.entries) {
      let group = groups.get(e.kind);
      if (!group) {
        group = { records: [], encoded: [] };
        groups.set(e.kind, group);
      }
      if (e.encoded) group.encoded.push(e.encoded);
      for (const r of e.records) group.records.push(r as never);
    }
    const started = performance.now();
    return (async () => {
      for (const [kind, { records, encoded }] of groups) {
        if (records.length > 0) {
          await writeGroup(this.store, kind, records);
          this.metrics.stored.inc({ kind }, records.length);
        }
        if (encoded.length > 0) {
          if (!this.store.writeEncoded)
            throw new StoreError(`the ${this.store.kind} store cannot write encoded`, false);
          await this.store.writeEncoded(kind as WriteKind, encoded);
          this.metrics.stored.inc(
            { kind },
            encoded.reduce((n, p) => n + p.count, 0),
          );
        }
      }
      this.metrics.writeSeconds.observe((performance.now() - started) / 1000);
      this.metrics.batchRecords.observe(chunk.readings);
    })().then(
      () => undefined,
      (err: unknown) => err ?? new Error('store write failed'),
    );
  }

  /**
   * Up to `maxInFlight` writes at once while the store keeps up (the store works on one while we
   * encode the next), committed strictly in order. After a retryable failure: let the others
   * settle, rewind the journal to the last commit and go on one write at a time, in order, with
   * backoff, until the store takes one again. Writes are idempotent, so a later batch that got
   * through before an earlier one failed is simply written again.
   */
  private async run(): Promise<void> {
    let delay = this.opts.retryMinMs;
    while (!this.stopped || (this.up && this.busy)) {
      const depth = this.up ? this.opts.maxInFlight : 1;
      while (!this.stopped && this.inFlight.length < depth) {
        const chunk = this.journal.take(this.opts.batchSize);
        if (!chunk) break;
        this.sinceTake = 0;
        this.inFlight.push({ chunk, result: this.attempt(chunk), started: performance.now() });
      }
      const head = this.inFlight[0];
      if (!head) {
        this.sinceTake = 0;
        for (const w of this.idleWaiters.splice(0)) w();
        if (!this.stopped) await this.sleep(this.opts.flushIntervalMs);
        continue;
      }
      const err = await head.result;
      if (err === undefined) {
        this.inFlight.shift();
        try {
          this.onStored?.(head.chunk.entries);
        } catch (e) {
          // Only the rollups' own bookkeeping (a full disk): the data itself is stored.
          this.log.error({ err: (e as Error).message }, 'could not note stored batch for rollups');
        }
        this.journal.commit(head.chunk.end);
        if (!this.up)
          this.log.info(
            { spoolBytes: this.journal.pendingBytes },
            'store is back; replaying the spool',
          );
        this.up = true;
        delay = this.opts.retryMinMs;
        // Below a full batch and caught up: let the next one fill for a flush interval.
        if (this.inFlight.length === 0 && head.chunk.readings < this.opts.batchSize) {
          if (!this.journal.hasWork) {
            for (const w of this.idleWaiters.splice(0)) w();
            if (!this.stopped) await this.sleep(this.opts.flushIntervalMs);
          }
        }
        continue;
      }
      const retryable = !(err instanceof StoreError) || err.retryable;
      this.metrics.storeErrors.inc({ retryable: String(retryable) });
      if (!retryable) {
        this.inFlight.shift();
        this.setAside(head.chunk.entries, err as Error);
        this.journal.commit(head.chunk.end);
        continue;
      }
      if (this.up)
        this.log.warn(
          { err: (err as Error).message },
          'store write failed; spooling until it is back',
        );
      this.up = false;
      // Nothing after the failed batch may be committed before it: drop the rest (settled
      // first, so no write is left running) and take everything again from the last commit.
      await Promise.all(this.inFlight.map((f) => f.result));
      this.inFlight = [];
      this.journal.rewind();
      if (this.stopped) return;
      await this.sleep(delay);
      delay = Math.min(this.opts.retryMaxMs, delay * 2);
    }
  }

  private setAside(entries: JournalEntry[], err: Error): void {
    const n = entries.reduce((sum, e) => sum + entrySize(e), 0);
    this.metrics.setAside.inc(n);
    this.log.error(
      { err: err.message, records: n },
      'store refused a batch; set aside in rejected.jsonl',
    );
    const lines = entries.map((e) =>
      JSON.stringify(
        e.encoded
          ? {
              error: err.message,
              kind: e.kind,
              encoded: Buffer.from(e.encoded.body).toString('utf8'),
            }
          : { error: err.message, kind: e.kind, records: e.records },
      ),
    );
    appendFileSync(join(this.opts.spoolDir, 'rejected.jsonl'), `${lines.join('\n')}\n`);
  }
}

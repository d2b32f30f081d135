/**
 * Drains the journal into the store, one batch at a time and in order. A retryable failure keeps
 * the batch and retries it with backoff while new messages pile up in the journal (memory stays
 * bounded: past the cache they are on disk only). A batch the store refuses for good is set aside
 * in `rejected.jsonl` next to the journal, never dropped silently.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../shared/log.ts';
import { type Store, StoreError } from '../../shared/storage/port.ts';
import type { ProcessorMetrics } from './metrics.ts';
import type { Chunk, Journal, JournalEntry } from './spool/Journal.ts';

export interface WriterOptions {
  batchSize: number;
  flushIntervalMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  spoolDir: string;
}

type Kind = 'telemetry' | 'event' | 'status' | 'ack' | 'alarm';

async function writeGroup(store: Store, kind: string, records: never[]): Promise<void> {
  switch (kind as Kind) {
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
  ) {}

  get storeUp(): boolean {
    return this.up;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Tell the writer that `readings` were appended; it wakes early once a batch is full. */
  appended(readings: number): void {
    this.sinceTake += readings;
    if (this.sinceTake >= this.opts.batchSize) this.wakeUp?.();
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

  private busy = false;

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

  private async run(): Promise<void> {
    while (!this.stopped) {
      const chunk = this.journal.take(this.opts.batchSize);
      this.sinceTake = 0;
      if (!chunk) {
        for (const w of this.idleWaiters.splice(0)) w();
        await this.sleep(this.opts.flushIntervalMs);
        continue;
      }
      this.busy = true;
      await this.writeWithRetry(chunk);
      this.busy = false;
      // Below a full batch and caught up: let the next one fill for a flush interval.
      if (chunk.readings < this.opts.batchSize && !this.journal.hasWork) {
        for (const w of this.idleWaiters.splice(0)) w();
        if (!this.stopped) await this.sleep(this.opts.flushIntervalMs);
      }
    }
  }

  private async writeWithRetry(chunk: Chunk): Promise<void> {
    let delay = this.opts.retryMinMs;
    const groups = new Map<string, never[]>();
    for (const e of chunk.entries) {
      const list = groups.get(e.kind);
      if (list) for (const r of e.records) list.push(r as never);
      else groups.set(e.kind, [...(e.records as never[])]);
    }
    // Bounded by stop(): a stopping writer leaves the batch in the journal (nothing committed).
    while (!this.stopped || this.up) {
      const started = performance.now();
      try {
        for (const [kind, records] of groups) {
          await writeGroup(this.store, kind, records);
          this.metrics.stored.inc({ kind }, records.length);
        }
        this.metrics.writeSeconds.observe((performance.now() - started) / 1000);
        this.metrics.batchRecords.observe(chunk.readings);
        this.journal.commit(chunk.end);
        if (!this.up)
          this.log.info(
            { spoolBytes: this.journal.pendingBytes },
            'store is back; replaying the spool',
          );
        this.up = true;
        return;
      } catch (err) {
        const retryable = !(err instanceof StoreError) || err.retryable;
        this.metrics.storeErrors.inc({ retryable: String(retryable) });
        if (!retryable) {
          this.setAside(chunk.entries, err as Error);
          this.journal.commit(chunk.end);
          return;
        }
        if (this.up)
          this.log.warn(
            { err: (err as Error).message },
            'store write failed; spooling until it is back',
          );
        this.up = false;
        if (this.stopped) return;
        await this.sleep(delay);
        delay = Math.min(this.opts.retryMaxMs, delay * 2);
      }
    }
  }

  private setAside(entries: JournalEntry[], err: Error): void {
    const n = entries.reduce((sum, e) => sum + e.records.length, 0);
    this.metrics.setAside.inc(n);
    this.log.error(
      { err: err.message, records: n },
      'store refused a batch; set aside in rejected.jsonl',
    );
    const lines = entries.map((e) =>
      JSON.stringify({ error: err.message, kind: e.kind, records: e.records }),
    );
    appendFileSync(join(this.opts.spoolDir, 'rejected.jsonl'), `${lines.join('\n')}\n`);
  }
}

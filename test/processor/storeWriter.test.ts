import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProcessorMetrics } from '../../services/processor/metrics.ts';
import { StoreWriter } from '../../services/processor/StoreWriter.ts';
import { Journal } from '../../services/processor/spool/Journal.ts';
import { silentLogger } from '../../shared/log.ts';
import { type Store, StoreError } from '../../shared/storage/port.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A store whose telemetry writes the test settles by hand, in any order. */
function manualStore() {
  const pending: { ids: number[]; settle: (err?: Error) => void }[] = [];
  const stored: number[] = [];
  let arrived: () => void = () => undefined;
  const store = {
    kind: 'duckdb',
    writeTelemetry: (points: readonly unknown[]) =>
      new Promise<void>((resolve, reject) => {
        const ids = points.map((p) => (p as { i: number }).i);
        pending.push({
          ids,
          settle: (err) => {
            if (err) return reject(err);
            stored.push(...ids);
            resolve();
          },
        });
        arrived();
      }),
  } as unknown as Store;
  /** Resolves once `n` writes are waiting. */
  const waiting = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (pending.length >= n) resolve();
        else arrived = check;
      };
      check();
    });
  return { store, pending, stored, waiting };
}

/** A writer with fast timers (unless `retryMs` says otherwise) and two writes in flight. */
function createWriter(
  journal: Journal,
  store: Store,
  dir: string,
  batchSize: number,
  retryMs = { min: 1, max: 2 },
) {
  const metrics = createProcessorMetrics({
    spoolBytes: () => 0,
    memoryReadings: () => 0,
    storeUp: () => true,
    activeAlarms: () => [],
  });
  const options = {
    batchSize,
    flushIntervalMs: 1,
    retryMinMs: retryMs.min,
    retryMaxMs: retryMs.max,
    spoolDir: dir,
    maxInFlight: 2,
  };
  return { writer: new StoreWriter(journal, store, options, metrics, silentLogger), metrics };
}

function setup(store: Store) {
  const dir = mkdtempSync(join(tmpdir(), 'gadelys-writer-'));
  dirs.push(dir);
  const journal = Journal.open({
    dir,
    segmentBytes: 1 << 20,
    memoryReadings: 1000,
    fsyncIntervalMs: 50,
  });
  const { writer } = createWriter(journal, store, dir, 2);
  for (let i = 0; i < 4; i++) journal.append({ kind: 'telemetry', records: [{ i }] });
  return { journal, writer };
}

/** Yield until everything journaled is committed (no clock involved). */
async function committedAll(journal: Journal): Promise<void> {
  while (journal.hasWork || journal.pendingBytes > 0) await new Promise((r) => setImmediate(r));
}

describe('StoreWriter', () => {
  it('keeps two writes in flight and commits them in order', async () => {
    const s = manualStore();
    const { journal, writer } = setup(s.store);
    writer.start();
    await s.waiting(2);
    expect(s.pending.map((p) => p.ids)).toEqual([
      [0, 1],
      [2, 3],
    ]);
    // The second finishes first: nothing may be committed past the first yet.
    s.pending[1]!.settle();
    await new Promise((r) => setImmediate(r));
    expect(journal.pendingBytes).toBeGreaterThan(0);
    s.pending[0]!.settle();
    await committedAll(journal);
    expect(journal.pendingBytes).toBe(0);
    await writer.stop();
    journal.close();
  });

  it('after a failed write goes back to the last commit and writes in order from there', async () => {
    const s = manualStore();
    const { journal, writer } = setup(s.store);
    writer.start();
    await s.waiting(2);
    s.pending[1]!.settle(); // stored, but after a batch that fails
    s.pending[0]!.settle(new StoreError('down', true));
    // Then one write at a time, from the failed batch on.
    await s.waiting(3);
    expect(s.pending[2]!.ids).toEqual([0, 1]);
    s.pending[2]!.settle();
    await s.waiting(4);
    expect(s.pending[3]!.ids).toEqual([2, 3]);
    s.pending[3]!.settle();
    await committedAll(journal);
    expect(s.stored).toEqual([2, 3, 0, 1, 2, 3]);
    expect(journal.pendingBytes).toBe(0);
    await writer.stop();
    journal.close();
  });

  it('writes encoded entries, cached or read back from disk, in order and counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gadelys-writer-'));
    dirs.push(dir);
    const encode = (ids: number[]) => ({
      body: Buffer.from(ids.map((i) => `p${i}`).join('\n')),
      count: ids.length,
    });
    // The cache holds two readings: the rest spill and come back through decodeRaw.
    const journal = Journal.open({
      dir,
      segmentBytes: 1 << 20,
      memoryReadings: 2,
      fsyncIntervalMs: 50,
      decodeRaw: (kind, text) => ({
        kind: kind === 'batch' ? 'telemetry' : kind,
        records: [],
        encoded: encode(JSON.parse(text) as number[]),
      }),
    });
    const written: string[] = [];
    const store = {
      kind: 'influxdb',
      writeEncoded: async (kind: string, parts: { body: Uint8Array; count: number }[]) => {
        for (const p of parts) {
          const lines = Buffer.from(p.body).toString('utf8').split('\n');
          written.push(...lines.map((l) => `${kind}:${l}`));
        }
      },
    } as unknown as Store;
    const { writer, metrics } = createWriter(journal, store, dir, 4);
    for (const ids of [[0, 1], [2], [3, 4], [5]]) {
      journal.append({
        kind: 'telemetry',
        records: [],
        encoded: encode(ids),
        raw: { kind: 'batch', bytes: Buffer.from(JSON.stringify(ids)) },
      });
    }
    expect(() => journal.append({ kind: 'alarm', records: [], encoded: encode([9]) })).toThrow(
      /raw payload/,
    );
    writer.start();
    await committedAll(journal);
    await writer.stop();
    journal.close();
    expect(written).toEqual([0, 1, 2, 3, 4, 5].map((i) => `telemetry:p${i}`));
    const stored = await metrics.registry.getSingleMetricAsString(
      'gadelys_processor_stored_records_total',
    );
    expect(stored).toContain('kind="telemetry"} 6');
  });

  it('keeps its backoff while the store is down, however fast data arrives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gadelys-writer-'));
    dirs.push(dir);
    const journal = Journal.open({
      dir,
      segmentBytes: 1 << 20,
      memoryReadings: 100_000,
      fsyncIntervalMs: 50,
    });
    let attempts = 0;
    const store = {
      kind: 'duckdb',
      writeTelemetry: async () => {
        attempts++;
        throw new StoreError('down', true);
      },
    } as unknown as Store;
    // The writer's clock is faked: its 2 s backoff is driven, not waited for.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const { writer } = createWriter(journal, store, dir, 10, { min: 2_000, max: 2_000 });
      journal.append({ kind: 'telemetry', records: [{ i: 0 }] });
      writer.start();
      await vi.advanceTimersByTimeAsync(5);
      expect(attempts).toBe(1);
      // A full batch appended every 10 ms for 300 ms: the writer still waits out its 2 s...
      for (let k = 1; k <= 30; k++) {
        for (let i = 0; i < 10; i++)
          journal.append({ kind: 'telemetry', records: [{ i: k * 10 + i }] });
        writer.appended(10);
        await vi.advanceTimersByTimeAsync(10);
      }
      expect(attempts).toBe(1);
      // ...and tries again once it is over.
      await vi.advanceTimersByTimeAsync(2_000);
      expect(attempts).toBe(2);
      await writer.stop();
    } finally {
      vi.useRealTimers();
      journal.close();
    }
  });
});

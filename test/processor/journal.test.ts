import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Chunk,
  Journal,
  type JournalOptions,
} from '../../services/processor/spool/Journal.ts';

const dirs: string[] = [];
function options(over: Partial<JournalOptions> = {}): JournalOptions {
  const dir = over.dir ?? mkdtempSync(join(tmpdir(), 'gadelys-journal-'));
  dirs.push(dir);
  return { dir, segmentBytes: 1 << 20, memoryReadings: 1000, fsyncIntervalMs: 50, ...over };
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const entry = (i: number, n = 1) => ({
  kind: 'telemetry',
  records: Array.from({ length: n }, (_, k) => ({ i, k })),
});
const ids = (chunk: Chunk | undefined) =>
  chunk?.entries.map((e) => (e.records[0] as { i: number }).i) ?? [];

function drain(j: Journal, max = 10): number[] {
  const seen: number[] = [];
  // Bounded: every take returns at least one entry while there is work.
  for (let guard = 0; guard < 100_000 && j.hasWork; guard++) {
    const chunk = j.take(max)!;
    seen.push(...ids(chunk));
    j.commit(chunk.end);
  }
  return seen;
}

describe('Journal', () => {
  it('hands back entries in order, in chunks of about maxReadings', () => {
    const j = Journal.open(options());
    for (let i = 0; i < 25; i++) j.append(entry(i));
    const first = j.take(10)!;
    expect(ids(first)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    j.commit(first.end);
    expect(drain(j)).toEqual(Array.from({ length: 15 }, (_, i) => i + 10));
    expect(j.take(10)).toBeUndefined();
    expect(j.pendingBytes).toBe(0);
    j.close();
  });

  it('spills past the memory bound to disk and replays it in order', () => {
    const j = Journal.open(options({ memoryReadings: 100 }));
    for (let i = 0; i < 50; i++) j.append(entry(i, 10));
    expect(j.memoryReadings).toBe(100);
    const seen = drain(j, 35);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // Caught up: new entries go through memory again.
    j.append(entry(50, 10));
    expect(j.memoryReadings).toBe(10);
    expect(drain(j)).toEqual([50]);
    j.close();
  });

  it('keeps order when entries arrive while spilled ones are read back', () => {
    const j = Journal.open(options({ memoryReadings: 5 }));
    const seen: number[] = [];
    let next = 0;
    for (let round = 0; round < 40; round++) {
      for (let k = 0; k < 3; k++) j.append(entry(next++));
      const chunk = j.take(2);
      if (chunk) {
        seen.push(...ids(chunk));
        j.commit(chunk.end);
      }
    }
    seen.push(...drain(j));
    expect(seen).toEqual(Array.from({ length: next }, (_, i) => i));
    j.close();
  });

  it('survives a restart: uncommitted entries come back, committed ones do not', () => {
    const opts = options();
    const a = Journal.open(opts);
    for (let i = 0; i < 10; i++) a.append(entry(i));
    a.commit(a.take(4)!.end);
    a.take(3); // taken, not committed: must come back
    a.close();
    const b = Journal.open(opts);
    expect(drain(b)).toEqual([4, 5, 6, 7, 8, 9]);
    b.close();
  });

  it('rolls segments and deletes them once committed', async () => {
    const opts = options({ segmentBytes: 200 });
    const j = Journal.open(opts);
    for (let i = 0; i < 40; i++) j.append(entry(i));
    expect(readdirSync(opts.dir).filter((f) => f.endsWith('.journal')).length).toBeGreaterThan(5);
    expect(drain(j, 7)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // Deletion runs off the caller's path (libuv's pool): wait for it, then look.
    await j.deleted();
    expect(readdirSync(opts.dir).filter((f) => f.endsWith('.journal')).length).toBe(1);
    j.close();
  });

  it('cuts a torn last line after a crash and skips corrupt lines', () => {
    const opts = options();
    const a = Journal.open(opts);
    for (let i = 0; i < 3; i++) a.append(entry(i));
    a.close();
    const file = join(opts.dir, readdirSync(opts.dir).find((f) => f.endsWith('.journal'))!);
    appendFileSync(file, 'not json\n["telemetry",[{"i":99');
    const corrupt: string[] = [];
    const b = Journal.open({ ...opts, onCorrupt: (_, text) => corrupt.push(text) });
    b.append(entry(3));
    expect(drain(b)).toEqual([0, 1, 2, 3]);
    expect(corrupt).toEqual(['not json']);
    b.close();
  });

  it('journals raw payloads as they came and decodes them only when read back from disk', () => {
    const decoded: string[] = [];
    const opts = options({
      memoryReadings: 2,
      decodeRaw: (kind, text) => {
        decoded.push(`${kind} ${text}`);
        return { kind: 'telemetry', records: (JSON.parse(text) as { r: unknown[] }).r };
      },
    });
    const j = Journal.open(opts);
    const raw = (i: number, json: string) => ({
      ...entry(i),
      raw: { kind: 'batch', bytes: Buffer.from(json) },
    });
    j.append(raw(0, '{"r":[{"i":0}]}'));
    // A pretty-printed payload: its newlines are whitespace and must not split the line.
    j.append(raw(1, '{\n  "r": [{"i": 1}]\n}'));
    j.append(raw(2, '{"r":[{"i":2}]}')); // past the memory bound: disk only
    expect(drain(j, 1)).toEqual([0, 1, 2]);
    expect(decoded).toEqual(['batch {"r":[{"i":2}]}']);
    const file = join(opts.dir, readdirSync(opts.dir).find((f) => f.endsWith('.journal'))!);
    expect(readFileSync(file, 'utf8').split('\n')[1]).toBe('@batch\t{   "r": [{"i": 1}] }');
    j.close();
  });

  it('reads a journal written with records only, as older versions did', () => {
    const opts = options();
    const a = Journal.open(opts);
    for (let i = 0; i < 3; i++) a.append(entry(i));
    a.close();
    const b = Journal.open({ ...opts, decodeRaw: () => ({ kind: 'telemetry', records: [] }) });
    expect(drain(b)).toEqual([0, 1, 2]);
    b.close();
  });
  it('keeps committing when the cursor cannot be written (a full disk), and writes it later', () => {
    const opts = options({ segmentBytes: 200 });
    const j = Journal.open(opts);
    for (let i = 0; i < 20; i++) j.append(entry(i));
    // The cursor's temp file cannot be created, as on a full disk.
    mkdirSync(join(opts.dir, 'cursor.json.tmp'));
    const first = j.take(10)!;
    expect(first.end.seg).toBeGreaterThan(1);
    expect(() => j.commit(first.end)).not.toThrow();
    rmSync(join(opts.dir, 'cursor.json.tmp'), { recursive: true });
    j.close();
    const again = Journal.open(opts);
    expect(ids(again.take(100))).toEqual(Array.from({ length: 10 }, (_, i) => i + 10));
    again.close();
  });
});

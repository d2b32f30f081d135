/**
 * The processor's durable queue: an append-only journal of accepted records in segment files,
 * plus a committed cursor. A message is appended (one write(2), so it survives a killed process)
 * before its MQTT ack; the journal is fsync'd in groups (a crashed machine loses at most one
 * interval). The writer takes entries in order, stores them, then commits. While the store keeps
 * up, entries also sit in a bounded memory cache so they are not read back; when the cache is
 * full (store down or slow) new entries live only on disk and are replayed from there in order.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlink,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { EncodedRecords } from '../../../shared/storage/port.ts';

export interface JournalEntry {
  kind: string;
  /** The records; empty when `encoded` holds them. */
  records: unknown[];
  /**
   * The records already encoded for the store (`Store.encode`), kept instead of the decoded
   * objects while the entry waits for its write.
   */
  encoded?: EncodedRecords;
  /**
   * The message exactly as received (already validated). When present it is what goes to disk,
   * instead of re-serialising `records`: the decoded records stay in the memory cache, and a read
   * back from disk decodes the raw bytes again with `JournalOptions.decodeRaw`.
   */
  raw?: { kind: string; bytes: Uint8Array };
}

export interface Position {
  seg: number;
  off: number;
}

export interface Chunk {
  entries: JournalEntry[];
  readings: number;
  end: Position;
}

export interface JournalOptions {
  dir: string;
  segmentBytes: number;
  memoryReadings: number;
  fsyncIntervalMs: number;
  /** Called when a line on disk cannot be parsed (torn or corrupt); it is skipped. */
  onCorrupt?: (where: Position, text: string) => void;
  /** Turns a raw line (`@<kind>\t<payload>`) read back from disk into its entry; throws if bad. */
  decodeRaw?: (kind: string, text: string) => JournalEntry;
}

const NL = 0x0a;
const SPACE = 0x20;
const AT = 0x40;
const segName = (seg: number) => `${String(seg).padStart(12, '0')}.journal`;
const before = (a: Position, b: Position) => a.seg < b.seg || (a.seg === b.seg && a.off < b.off);
const same = (a: Position, b: Position) => a.seg === b.seg && a.off === b.off;

/** Readings (records) in an entry, encoded or not. */
export const entrySize = (e: JournalEntry): number => e.encoded?.count ?? e.records.length;

interface Cached extends JournalEntry {
  start: Position;
  end: Position;
}

export class Journal {
  private fd: number;
  private head: Position;
  private committed: Position;
  /** The cursor as it is on disk; `cursorDirty` when `committed` is ahead of it. */
  private persisted: Position;
  private cursorDirty = false;
  /** Next position the writer has not taken yet (between committed and head). */
  private readPos: Position;
  /** Cached entries from `cacheHead` on: a queue without Array.shift (O(n) per call). */
  private cache: Cached[] = [];
  private cacheHead = 0;
  private cachedReadings = 0;
  /** True once the cache overflowed: entries from here on are read back from disk. */
  private spilled: boolean;
  private readonly sizes = new Map<number, number>();
  private fsyncTimer: NodeJS.Timeout | undefined;
  private dirty = false;
  private closed = false;
  /** Segment deletions in flight (on libuv's thread pool). */
  private readonly deleting = new Set<Promise<void>>();

  private constructor(private readonly opts: JournalOptions) {
    mkdirSync(opts.dir, { recursive: true });
    const segs = readdirSync(opts.dir)
      .filter((f) => /^\d{12}\.journal$/.test(f))
      .map((f) => Number(f.slice(0, 12)))
      .sort((a, b) => a - b);
    for (const s of segs) this.sizes.set(s, statSync(join(opts.dir, segName(s))).size);
    const last = segs[segs.length - 1] ?? 1;
    this.fd = openSync(join(opts.dir, segName(last)), 'a+');
    this.head = { seg: last, off: this.trimTornTail(this.fd) };
    this.sizes.set(last, this.head.off);
    this.committed = this.loadCursor(segs[0] ?? last);
    this.persisted = this.committed;
    this.readPos = { ...this.committed };
    this.spilled = before(this.readPos, this.head);
    this.fsyncTimer = setInterval(() => this.groupFsync(), opts.fsyncIntervalMs);
    this.fsyncTimer.unref();
  }

  static open(opts: JournalOptions): Journal {
    return new Journal(opts);
  }

  /** Bytes appended but not yet committed (the spool depth). */
  get pendingBytes(): number {
    let total = 0;
    for (const [seg, size] of this.sizes) {
      if (seg > this.committed.seg) total += size;
      else if (seg === this.committed.seg) total += size - this.committed.off;
    }
    return total;
  }

  get memoryReadings(): number {
    return this.cachedReadings;
  }

  /** Whether entries are waiting to be taken (the writer's "is there work"). */
  get hasWork(): boolean {
    return before(this.readPos, this.head);
  }

  /** Append one entry durably against a process kill. Throws on I/O errors (disk full). */
  append(entry: JournalEntry): void {
    let buf: Buffer;
    if (entry.raw) {
      // `@<kind>\t<payload>\n`. A raw newline in valid JSON is whitespace (inside strings it
      // must be escaped), so replacing it with a space keeps one message on one line.
      const head = `@${entry.raw.kind}\t`;
      const bytes = entry.raw.bytes;
      buf = Buffer.allocUnsafe(head.length + bytes.byteLength + 1);
      buf.write(head, 0, 'latin1');
      buf.set(bytes, head.length);
      buf[buf.length - 1] = NL;
      for (let i = buf.indexOf(NL, head.length); i >= 0 && i < buf.length - 1; ) {
        buf[i] = SPACE;
        i = buf.indexOf(NL, i + 1);
      }
    } else {
      // Only the raw payload can bring encoded records back from disk.
      if (entry.encoded) throw new Error('an encoded journal entry needs its raw payload');
      buf = Buffer.from(`${JSON.stringify([entry.kind, entry.records])}\n`);
    }
    if (this.head.off > 0 && this.head.off + buf.length > this.opts.segmentBytes) this.roll();
    const start = this.head;
    this.writeFully(buf);
    this.head = { seg: start.seg, off: start.off + buf.length };
    this.sizes.set(start.seg, this.head.off);
    this.dirty = true;
    const n = entrySize(entry);
    if (!this.spilled && this.cachedReadings + n <= this.opts.memoryReadings) {
      this.cache.push({
        kind: entry.kind,
        records: entry.records,
        encoded: entry.encoded,
        start,
        end: this.head,
      });
      this.cachedReadings += n;
    } else {
      this.spilled = true;
    }
  }

  /**
   * write(2) until the whole line is in the file. A full disk can take part of a line and then
   * fail: the part is cut off again, so the file still ends on a line boundary and the caller
   * (which does not acknowledge the message) sees the error.
   */
  private writeFully(buf: Buffer): void {
    let done = 0;
    try {
      while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done);
    } catch (err) {
      if (done > 0) ftruncateSync(this.fd, this.head.off);
      throw err;
    }
  }

  /** The next entries in order, up to about `maxReadings` readings; undefined when none. */
  take(maxReadings: number): Chunk | undefined {
    if (!this.hasWork) return undefined;
    const first = this.cache[this.cacheHead];
    if (first && same(first.start, this.readPos)) {
      const entries: JournalEntry[] = [];
      let readings = 0;
      while (this.cacheHead < this.cache.length) {
        const e = this.cache[this.cacheHead]!;
        const n = entrySize(e);
        if (entries.length > 0 && readings + n > maxReadings) break;
        this.cache[this.cacheHead++] = undefined as unknown as Cached;
        entries.push(
          e.encoded
            ? { kind: e.kind, records: e.records, encoded: e.encoded }
            : { kind: e.kind, records: e.records },
        );
        readings += n;
        this.cachedReadings -= n;
        this.readPos = e.end;
      }
      this.compactCache();
      return { entries, readings, end: { ...this.readPos } };
    }
    const chunk = this.readDisk(maxReadings, first?.start ?? this.head);
    if (same(this.readPos, this.head) && this.cacheHead >= this.cache.length) this.spilled = false;
    return chunk;
  }

  /**
   * Everything up to `end` is stored. The cursor is persisted at once when it moves to another
   * segment (finished segments are then deleted), else with the next group fsync or at close:
   * a cursor a little behind after a crash only means a few batches are written again, and
   * writes are idempotent.
   */
  commit(end: Position): void {
    this.committed = { ...end };
    if (end.seg !== this.persisted.seg) this.tryPersistCursor();
    else this.cursorDirty = !same(end, this.persisted);
  }

  /** Resolves when the finished segments deleted so far are gone from the disk. */
  async deleted(): Promise<void> {
    while (this.deleting.size > 0) await Promise.all(this.deleting);
  }

  /** Forget what was taken but not committed (after a restart of the writer). */
  rewind(): void {
    this.readPos = { ...this.committed };
    this.cache = [];
    this.cacheHead = 0;
    this.cachedReadings = 0;
    this.spilled = before(this.readPos, this.head);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.fsyncTimer);
    if (this.cursorDirty) this.tryPersistCursor();
    fsyncSync(this.fd);
    closeSync(this.fd);
  }

  /** Drop the taken slots at the front once they are most of the array. */
  private compactCache(): void {
    if (this.cacheHead === this.cache.length) {
      this.cache = [];
      this.cacheHead = 0;
    } else if (this.cacheHead > 1024 && this.cacheHead * 2 > this.cache.length) {
      this.cache = this.cache.slice(this.cacheHead);
      this.cacheHead = 0;
    }
  }

  /**
   * The cursor on a full disk: kept dirty and written again with the next group fsync. A cursor
   * behind on disk only means batches are written again after a crash (writes are idempotent);
   * throwing here would stop the writer (commit) or the process (the fsync timer).
   */
  private tryPersistCursor(): void {
    try {
      this.persistCursor();
    } catch {
      this.cursorDirty = true;
    }
  }

  private persistCursor(): void {
    const end = this.committed;
    const tmp = join(this.opts.dir, 'cursor.json.tmp');
    writeFileSync(tmp, JSON.stringify(end));
    renameSync(tmp, join(this.opts.dir, 'cursor.json'));
    this.persisted = end;
    this.cursorDirty = false;
    for (const seg of [...this.sizes.keys()]) {
      if (seg < end.seg) {
        // Off the ack path (deleting a segment took 5-40 ms here). The cursor on disk is already
        // past it; one left behind by a crash is found at the next start and deleted then.
        const path = join(this.opts.dir, segName(seg));
        const done: Promise<void> = new Promise((resolve) =>
          unlink(path, () => {
            this.deleting.delete(done);
            resolve();
          }),
        );
        this.deleting.add(done);
        this.sizes.delete(seg);
      }
    }
  }

  private groupFsync(): void {
    if (this.closed) return;
    if (this.cursorDirty) this.tryPersistCursor();
    if (!this.dirty) return;
    this.dirty = false;
    fsync(this.fd, () => undefined);
  }

  private roll(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
    const seg = this.head.seg + 1;
    this.fd = openSync(join(this.opts.dir, segName(seg)), 'a+');
    this.head = { seg, off: 0 };
    this.sizes.set(seg, 0);
  }

  /** A crash can leave half a line at the end: cut it so appends start on a line boundary. */
  private trimTornTail(fd: number): number {
    const size = fstatSync(fd).size;
    if (size === 0) return 0;
    const tail = Buffer.alloc(Math.min(size, 1 << 20));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    const lastNl = tail.lastIndexOf(NL);
    const keep = lastNl < 0 ? size - tail.length : size - tail.length + lastNl + 1;
    if (keep < size) ftruncateSync(fd, keep);
    return keep;
  }

  private loadCursor(oldest: number): Position {
    const path = join(this.opts.dir, 'cursor.json');
    if (existsSync(path)) {
      try {
        const pos = JSON.parse(readFileSync(path, 'utf8')) as Position;
        if (Number.isInteger(pos.seg) && Number.isInteger(pos.off)) {
          if (!before(this.head, pos) && this.sizes.has(pos.seg)) return pos;
          if (pos.seg < oldest) return { seg: oldest, off: 0 };
        }
      } catch {
        // A torn cursor: replay from the oldest segment; writes are idempotent.
      }
    }
    return { seg: oldest, off: 0 };
  }

  /** `@<kind>\t<raw payload>` (decodeRaw) or `[kind, records]` JSON (alarms; older journals). */
  private parseLine(text: string): JournalEntry {
    if (text.charCodeAt(0) === AT) {
      const tab = text.indexOf('\t');
      if (tab < 0 || !this.opts.decodeRaw) throw new Error('raw journal line without a decoder');
      return this.opts.decodeRaw(text.slice(1, tab), text.slice(tab + 1));
    }
    const [kind, records] = JSON.parse(text) as [string, unknown[]];
    if (typeof kind !== 'string' || !Array.isArray(records)) throw new Error('not an entry');
    return { kind, records };
  }

  private readDisk(maxReadings: number, limit: Position): Chunk {
    const entries: JournalEntry[] = [];
    let readings = 0;
    while (before(this.readPos, limit) && readings < maxReadings) {
      const { seg, off } = this.readPos;
      const end = seg === limit.seg ? limit.off : (this.sizes.get(seg) ?? 0);
      if (off >= end) {
        this.readPos = { seg: seg + 1, off: 0 };
        continue;
      }
      const fd = openSync(join(this.opts.dir, segName(seg)), 'r');
      try {
        let pos = off;
        let size = 4 << 20;
        while (pos < end && readings < maxReadings) {
          const buf = Buffer.alloc(Math.min(size, end - pos));
          const got = readSync(fd, buf, 0, buf.length, pos);
          let lineStart = 0;
          let nl = buf.indexOf(NL, 0);
          if (nl < 0 && got === buf.length && pos + got < end) {
            size *= 2; // one line longer than the buffer
            continue;
          }
          while (nl >= 0 && readings < maxReadings) {
            const text = buf.toString('utf8', lineStart, nl);
            try {
              const entry = this.parseLine(text);
              entries.push(entry);
              readings += entrySize(entry);
            } catch {
              this.opts.onCorrupt?.({ seg, off: pos + lineStart }, text.slice(0, 200));
            }
            lineStart = nl + 1;
            nl = buf.indexOf(NL, lineStart);
          }
          pos += lineStart;
          if (lineStart === 0) break;
        }
        // No whole line left before `end` (cannot happen for our own appends): skip the rest
        // rather than loop forever.
        this.readPos = pos === off ? { seg, off: end } : { seg, off: pos };
      } finally {
        closeSync(fd);
      }
    }
    return { entries, readings, end: { ...this.readPos } };
  }
}

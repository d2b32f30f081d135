import { randomBytes } from 'node:crypto';
import { rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { appendJsonLine, readJsonLines } from '../jsonFiles.ts';

export interface AuditLogOptions {
  /** The current file is renamed to `audit-<time>.jsonl` before it would grow past this. */
  rotateBytes: number;
  /** Newest entries kept in memory for `query`; older ones are only in the files. */
  memoryEntries: number;
}

export const AUDIT_DEFAULTS: AuditLogOptions = {
  rotateBytes: 64 * 1024 * 1024,
  memoryEntries: 100_000,
};

export const AUDIT_ACTIONS = [
  'command.issued',
  'command.completed',
  'program.created',
  'program.updated',
  'program.deleted',
  'program.assigned',
  'alarm.acknowledged',
  'user.created',
  'user.deleted',
  'token.created',
  'token.revoked',
  'auth.bootstrap',
  'registry.imported',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who did what, when, to how many lamps, with what outcome. */
export interface AuditEntry {
  id: string;
  ts: number;
  actor: string;
  action: AuditAction;
  /** What it applied to: a command id, a program id, a user name... */
  subject: string;
  lampCount?: number;
  outcome: 'ok' | 'partial' | 'failed' | 'rejected' | 'pending';
  detail?: Record<string, unknown>;
  /** The gateway that wrote it, in a cluster (GATEWAY_NODE_ID). */
  node?: string;
}

/**
 * The cluster's audit stream (cluster/sharedAudit.ts, a Redis stream): each gateway still writes
 * its own file (with its node id in every entry), and also appends to the stream, from which
 * every gateway's GET /api/audit reads the entries of all.
 */
export interface SharedAudit {
  readonly nodeId: string;
  append(entry: AuditEntry): Promise<void>;
  /** Entries after `lastId` (all the stream keeps when undefined), oldest first. */
  since(
    lastId: string | undefined,
    max: number,
  ): Promise<{ entries: AuditEntry[]; lastId?: string }>;
}

export interface AuditQuery {
  from?: number;
  to?: number;
  actor?: string;
  action?: AuditAction;
  subject?: string;
  limit?: number;
}

/**
 * Append-only JSONL audit log. Each entry is appended before the call that caused it returns, so
 * an acknowledged change is on disk. The file is rotated by size and rotated files are never
 * deleted (an audit trail's retention is the operator's policy, not ours); memory holds the newest
 * `memoryEntries` for queries.
 */
export class AuditLog {
  private entries: AuditEntry[] = [];
  private writing: Promise<void> = Promise.resolve();
  private bytes = 0;
  private lastSharedId: string | undefined;
  private syncing: Promise<void> = Promise.resolve();
  /** Entries that reached this gateway's file but not the shared stream. */
  sharedFailures = 0;

  private constructor(
    private readonly dataDir: string,
    private readonly now: () => number,
    private readonly opts: AuditLogOptions,
    private readonly shared: SharedAudit | undefined,
  ) {}

  private get path(): string {
    return join(this.dataDir, 'audit.jsonl');
  }

  static async open(
    dataDir: string,
    now: () => number = Date.now,
    opts: Partial<AuditLogOptions> & { shared?: SharedAudit } = {},
  ): Promise<AuditLog> {
    const { shared, ...rest } = opts;
    const log = new AuditLog(dataDir, now, { ...AUDIT_DEFAULTS, ...rest }, shared);
    const entries = await readJsonLines<AuditEntry>(log.path);
    if (shared) {
      // The other gateways' entries (and this one's from before), merged with this file's.
      const got = await shared.since(undefined, log.opts.memoryEntries);
      log.lastSharedId = got.lastId;
      const seen = new Set(entries.map((e) => e.id));
      for (const e of got.entries) if (!seen.has(e.id)) entries.push(e);
      entries.sort((a, b) => a.ts - b.ts);
    }
    log.entries = entries.slice(-log.opts.memoryEntries);
    log.bytes = await stat(log.path).then(
      (s) => s.size,
      () => 0,
    );
    return log;
  }

  record(entry: Omit<AuditEntry, 'id' | 'ts'>): Promise<AuditEntry> {
    const full: AuditEntry = { id: randomBytes(8).toString('hex'), ts: this.now(), ...entry };
    if (this.shared) full.node = this.shared.nodeId;
    const shared = this.shared;
    this.entries.push(full);
    // Trim in steps, not one shift per entry.
    if (this.entries.length > this.opts.memoryEntries * 1.25)
      this.entries = this.entries.slice(-this.opts.memoryEntries);
    const size = Buffer.byteLength(JSON.stringify(full)) + 1;
    // After a failed write (reported to its caller) the next ones still run.
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        if (this.bytes > 0 && this.bytes + size > this.opts.rotateBytes) await this.rotate();
        await appendJsonLine(this.path, full);
        this.bytes += size;
        // The file is the record; the stream is the cluster's view of it.
        await shared?.append(full).catch(() => {
          this.sharedFailures += 1;
        });
      });
    return this.writing.then(() => full);
  }

  private async rotate(): Promise<void> {
    const stamp = new Date(this.now()).toISOString().replace(/[-:.]/g, '');
    await rename(
      this.path,
      join(this.dataDir, `audit-${stamp}-${randomBytes(3).toString('hex')}.jsonl`),
    );
    this.bytes = 0;
  }

  /** Cluster: take the other gateways' entries written since the last look (before a query). */
  sync(): Promise<void> {
    const shared = this.shared;
    if (!shared) return Promise.resolve();
    this.syncing = this.syncing
      .catch(() => undefined)
      .then(async () => {
        const got = await shared.since(this.lastSharedId, this.opts.memoryEntries);
        if (got.lastId !== undefined) this.lastSharedId = got.lastId;
        let added = false;
        for (const e of got.entries) {
          if (e.node === shared.nodeId) continue;
          this.entries.push(e);
          added = true;
        }
        // Another gateway's entry may be older than this one's newest: keep the list by time.
        if (added) this.entries.sort((a, b) => a.ts - b.ts);
        if (this.entries.length > this.opts.memoryEntries * 1.25)
          this.entries = this.entries.slice(-this.opts.memoryEntries);
      });
    return this.syncing;
  }

  /** Newest first, from the newest `memoryEntries` entries. */
  query(q: AuditQuery = {}): AuditEntry[] {
    const out: AuditEntry[] = [];
    const limit = q.limit ?? 100;
    const oldest = Math.max(0, this.entries.length - this.opts.memoryEntries);
    for (let i = this.entries.length - 1; i >= oldest && out.length < limit; i--) {
      const e = this.entries[i]!;
      if (q.from !== undefined && e.ts < q.from) continue;
      if (q.to !== undefined && e.ts >= q.to) continue;
      if (q.actor !== undefined && e.actor !== q.actor) continue;
      if (q.action !== undefined && e.action !== q.action) continue;
      if (q.subject !== undefined && e.subject !== q.subject) continue;
      out.push(e);
    }
    return out;
  }

  /** Resolves when the writes so far are done (a failed one was reported to its caller). */
  flush(): Promise<void> {
    return this.writing.catch(() => undefined);
  }
}

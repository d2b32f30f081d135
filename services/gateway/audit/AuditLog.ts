import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { appendJsonLine, readJsonLines } from '../jsonFiles.ts';

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
 * an acknowledged change is on disk; memory holds the entries for queries.
 */
export class AuditLog {
  private entries: AuditEntry[] = [];
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly now: () => number,
  ) {}

  static async open(dataDir: string, now: () => number = Date.now): Promise<AuditLog> {
    const log = new AuditLog(join(dataDir, 'audit.jsonl'), now);
    log.entries = await readJsonLines<AuditEntry>(log.path);
    return log;
  }

  record(entry: Omit<AuditEntry, 'id' | 'ts'>): Promise<AuditEntry> {
    const full: AuditEntry = { id: randomBytes(8).toString('hex'), ts: this.now(), ...entry };
    this.entries.push(full);
    this.writing = this.writing.then(() => appendJsonLine(this.path, full));
    return this.writing.then(() => full);
  }

  /** Newest first. */
  query(q: AuditQuery = {}): AuditEntry[] {
    const out: AuditEntry[] = [];
    const limit = q.limit ?? 100;
    for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i--) {
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

  flush(): Promise<void> {
    return this.writing;
  }
}

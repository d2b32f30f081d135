import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../services/gateway/audit/AuditLog.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('audit log', () => {
  it('rotates by size, keeps every entry on disk in order, and answers from the newest in memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gadelys-audit-'));
    dirs.push(dir);
    let t = Date.UTC(2026, 10, 22, 12);
    const clock = () => t;
    const log = await AuditLog.open(dir, clock, { rotateBytes: 1_000, memoryEntries: 5 });
    for (let i = 0; i < 40; i++) {
      t += 1_000;
      await log.record({ actor: 'ops', action: 'command.issued', subject: `c${i}`, outcome: 'ok' });
    }
    await log.flush();

    const files = readdirSync(dir).sort();
    const rotated = files.filter((f) => /^audit-\d{8}T\d{9}Z-[0-9a-f]{6}\.jsonl$/.test(f));
    expect(rotated.length).toBeGreaterThan(3);
    expect(files).toContain('audit.jsonl');
    for (const f of files) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(1_000);
    // Rotated files in name order (their times), then the current one: every entry, in order.
    const all = [...rotated, 'audit.jsonl'].flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { subject: string }).subject),
    );
    expect(all).toEqual(Array.from({ length: 40 }, (_, i) => `c${i}`));

    expect(log.query().map((e) => e.subject)).toEqual(['c39', 'c38', 'c37', 'c36', 'c35']);
    // A restart reads the current file only, newest entries up to the memory bound.
    const again = await AuditLog.open(dir, clock, { rotateBytes: 1_000, memoryEntries: 5 });
    const current = all.slice(
      -readFileSync(join(dir, 'audit.jsonl'), 'utf8').split('\n').filter(Boolean).length,
    );
    expect(again.query().map((e) => e.subject)).toEqual(current.slice(-5).reverse());
    // Appending after the restart continues the size count: the next rotation still comes in time.
    for (let i = 40; i < 50; i++) {
      t += 1_000;
      await again.record({ actor: 'ops', action: 'user.created', subject: `c${i}`, outcome: 'ok' });
    }
    for (const f of readdirSync(dir))
      expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(1_000);
  });

  it('goes on writing after a failed write, which its caller sees', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gadelys-audit-'));
    dirs.push(dir);
    const log = await AuditLog.open(dir);
    // A directory where the file should be: the append fails (EISDIR), as a full disk would.
    mkdirSync(join(dir, 'audit.jsonl'));
    const entry = { actor: 'ops', action: 'user.created', subject: 'a', outcome: 'ok' } as const;
    await expect(log.record(entry)).rejects.toThrow();
    rmdirSync(join(dir, 'audit.jsonl'));
    await expect(log.record({ ...entry, subject: 'b' })).resolves.toMatchObject({ subject: 'b' });
    await log.flush();
    expect(readFileSync(join(dir, 'audit.jsonl'), 'utf8')).toContain('"subject":"b"');
  });
});

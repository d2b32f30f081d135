import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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
});

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPORT_JSON, REPORT_MD, readReport, recordCounts } from './report.ts';

describe('the resilience report', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gadelys-report-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const counts = (attempts: number) => ({ attempts, refused: 0, lost: 0, duplicated: 0 });

  it('keeps one entry per section, the latest, in JSON and markdown', async () => {
    const now = () => new Date('2026-12-02T10:00:00Z');
    await recordCounts('faults: processor SIGKILL', counts(10), { dir, now });
    await recordCounts('bad input: mqtt', { ...counts(5), refused: 5, note: 'a|b' }, { dir, now });
    await recordCounts('faults: processor SIGKILL', { ...counts(12), lost: 1 }, { dir, now });
    const report = await readReport(dir);
    expect(report.sections.map((e) => [e.section, e.counts.attempts, e.counts.lost])).toEqual([
      ['faults: processor SIGKILL', 12, 1],
      ['bad input: mqtt', 5, 0],
    ]);
    const json = JSON.parse(await readFile(join(dir, REPORT_JSON), 'utf8'));
    expect(json.updatedAt).toBe('2026-12-02T10:00:00.000Z');
    const md = await readFile(join(dir, REPORT_MD), 'utf8');
    expect(md).toContain('| faults: processor SIGKILL | 12 | 0 | 1 | 0 |  |');
    expect(md).toContain('| bad input: mqtt | 5 | 5 | 0 | 0 | note: a\\|b |');
  });

  it('loses no entry when writers record at the same time', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => recordCounts(`section ${i}`, counts(i), { dir })),
    );
    const report = await readReport(dir);
    expect(report.sections.map((e) => e.section).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `section ${i}`).sort(),
    );
  });
});

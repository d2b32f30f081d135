/**
 * The resilience suite's report of counts: every part of the suite (faults under load, bad input,
 * abuse) records one entry per section, and the report is rewritten whole, as JSON
 * (`test-artifacts/resilience-report.json`) and as a markdown table beside it
 * (`test-artifacts/resilience-report.md`). A section recorded again replaces its earlier entry,
 * so one run of a section leaves one line. Test files run in parallel forks, so a writer takes a
 * lock directory first (mkdir is atomic) and renames finished files into place.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the report goes unless a test says otherwise (gitignored). */
export const REPORT_DIR = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
export const REPORT_JSON = 'resilience-report.json';
export const REPORT_MD = 'resilience-report.md';

/** The four counts every section reports, plus any figures of its own. */
export interface Counts {
  /** What was tried: readings published, messages sent, requests made, faults injected. */
  attempts: number;
  /** Attempts the platform turned away (with a reason), as it should for bad input and abuse. */
  refused: number;
  /** Attempts that should have been kept and were not. */
  lost: number;
  /** Attempts kept more than once. */
  duplicated: number;
  [extra: string]: number | string;
}

export interface ReportEntry {
  section: string;
  recordedAt: string;
  counts: Counts;
}

export interface Report {
  updatedAt: string;
  sections: ReportEntry[];
}

const LOCK_TRIES = 400;
const LOCK_WAIT_MS = 25;
/** A lock older than this was left by a killed writer. */
const STALE_LOCK_MS = 30_000;

/** Records (or replaces) one section's counts and rewrites the JSON and markdown report. */
export async function recordCounts(
  section: string,
  counts: Counts,
  options: { dir?: string; now?: () => Date } = {},
): Promise<Report> {
  const dir = options.dir ?? REPORT_DIR;
  const now = options.now ?? (() => new Date());
  await mkdir(dir, { recursive: true });
  return withLock(join(dir, '.resilience-report.lock'), async () => {
    const report = await readReport(dir);
    const entry: ReportEntry = { section, recordedAt: now().toISOString(), counts };
    const at = report.sections.findIndex((e) => e.section === section);
    if (at >= 0) report.sections[at] = entry;
    else report.sections.push(entry);
    report.updatedAt = entry.recordedAt;
    await replaceFile(join(dir, REPORT_JSON), `${JSON.stringify(report, null, 2)}\n`);
    await replaceFile(join(dir, REPORT_MD), renderMarkdown(report));
    return report;
  });
}

/** The report as it is on disk, or an empty one. */
export async function readReport(dir = REPORT_DIR): Promise<Report> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, REPORT_JSON), 'utf8')) as Report;
    if (Array.isArray(parsed.sections)) return parsed;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) {
      throw err;
    }
  }
  return { updatedAt: '', sections: [] };
}

/** One table: a row per section, the four counts, then each section's own figures. */
export function renderMarkdown(report: Report): string {
  const rows = report.sections.map((e) => {
    const { attempts, refused, lost, duplicated, ...extra } = e.counts;
    const other = Object.entries(extra)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ');
    const cells = [e.section, attempts, refused, lost, duplicated, other, e.recordedAt];
    return `| ${cells.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`;
  });
  return [
    '# Resilience report',
    '',
    `Updated ${report.updatedAt || 'never'}. Written by test/resilience/report.ts.`,
    '',
    '| section | attempts | refused | lost | duplicated | other | recorded |',
    '|---|---:|---:|---:|---:|---|---|',
    ...rows,
    '',
  ].join('\n');
}

async function replaceFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  for (let i = 0; i < LOCK_TRIES; i++) {
    try {
      await mkdir(lock);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, LOCK_WAIT_MS));
      continue;
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
  throw new Error(`resilience report: ${lock} stayed locked for ${LOCK_TRIES} tries`);
}

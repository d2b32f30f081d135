/**
 * A PDF of a printable report, made on the server by headless Chromium (Debian's `chromium`;
 * no browser library at run time): the page goes into a private temp directory, Chromium prints
 * it there with no network and no header or footer, and the directory is removed. One print at
 * a time: each Chromium takes a few hundred MB.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHROMIUM_ARGS } from '../../../shared/chromium.ts';

const FLAGS = [
  ...CHROMIUM_ARGS,
  '--disable-extensions',
  '--no-pdf-header-footer',
  '--run-all-compositor-stages-before-draw',
];
export const PDF_TIMEOUT_MS = 60_000;

let queue: Promise<unknown> = Promise.resolve();

function run(file: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, _out, stderr) =>
      err
        ? reject(new Error(`chromium failed: ${err.message} ${String(stderr).slice(-400)}`))
        : resolve(),
    );
  });
}

export function htmlToPdf(
  html: string,
  opts: { chromiumPath: string; timeoutMs?: number },
): Promise<Uint8Array> {
  const job = queue.then(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gadelys-pdf-'));
    try {
      const page = join(dir, 'report.html');
      const out = join(dir, 'report.pdf');
      await writeFile(page, html, { mode: 0o600 });
      await run(
        opts.chromiumPath,
        [
          ...FLAGS,
          `--user-data-dir=${join(dir, 'profile')}`,
          `--print-to-pdf=${out}`,
          pathToFileURL(page).href,
        ],
        opts.timeoutMs ?? PDF_TIMEOUT_MS,
      );
      return new Uint8Array(await readFile(out));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  queue = job.catch(() => undefined);
  return job;
}

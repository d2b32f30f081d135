/**
 * The production build of the services: `tsc -p tsconfig.build.json` compiles services/,
 * simulator/, shared/ (and what they import, such as scripts/buildDashboard.ts) to JavaScript
 * under `dist/server/`, with the repository's layout, so that paths resolved from
 * `import.meta.url` (the shipped route under shared/data/, the dashboard bundle under
 * dist/dashboard/) hold when the tree is copied to an image's /app. `.ts` imports become `.js`
 * (`rewriteRelativeImportExtensions`): the output runs on plain `node`, without tsx.
 *
 * `npm run build:server` runs it; `--out DIR` builds elsewhere (the tests build into a temp dir).
 */
import { spawn } from 'node:child_process';
import { cp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const SERVER_OUT_DIR = join(ROOT, 'dist', 'server');
/** Files the compiled code reads at run time, next to the modules that read them. */
const RUNTIME_ASSETS = ['shared/data'];

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`${cmd} exited ${code}:\n${out}`)),
    );
  });
}

/**
 * Compile into `outDir` (emptied first) and copy the run-time assets; resolves with outDir.
 * A type error fails the build, unless `check: false` (tests, which typecheck separately:
 * `--noCheck` only emits, each file on its own, which `isolatedModules` makes safe).
 */
export async function buildServer(
  outDir = SERVER_OUT_DIR,
  opts: { check?: boolean } = {},
): Promise<string> {
  const out = resolve(outDir);
  await rm(out, { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out];
  if (opts.check === false) args.push('--noCheck');
  await run(process.execPath, args);
  for (const asset of RUNTIME_ASSETS) {
    await cp(join(ROOT, asset), join(out, asset), { recursive: true });
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--out');
  const out = await buildServer(i > 0 ? process.argv[i + 1] : undefined);
  console.log(`services compiled to ${out}`);
}

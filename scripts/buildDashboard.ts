/**
 * The web app's build: esbuild bundles `dashboards/src/main.ts` (and the screens it loads on
 * demand) into content-hashed files under `dist/dashboard/assets/`, and writes `index.html` that
 * names them. The gateway calls `ensureDashboard()` at start, so `npm start` and every test work
 * on a fresh clone; `npm run build:dashboard` (this file as a script) builds ahead of time, as the
 * Docker image does.
 *
 * A build is keyed by a hash of its inputs (the sources, the lockfile, this file): the gateway
 * rebuilds only when that hash changed. Every file is written to a temporary name and renamed,
 * so two gateways starting at once (parallel test workers) never serve a half-written file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const DASHBOARD_SOURCE_DIR = join(ROOT, 'dashboards');
export const DASHBOARD_OUT_DIR = join(ROOT, 'dist', 'dashboard');
/** Every asset the page loads lives here, under a content-hashed name. */
export const ASSET_PREFIX = 'assets/';

export interface DashboardManifest {
  /** Hash of every input; a different hash means the bundle is stale. */
  inputHash: string;
  builtAt: string;
  /** The entry script and stylesheet, relative to the output dir. */
  entry: { js: string; css: string | undefined };
  /** Every file under `assets/`, with its size in bytes. */
  assets: Record<string, number>;
}

export interface BuildOptions {
  sourceDir?: string;
  outDir?: string;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

/** Hash of what the bundle is made of: the app's sources, the locked dependencies, this build. */
export async function dashboardInputHash(sourceDir = DASHBOARD_SOURCE_DIR): Promise<string> {
  const hash = createHash('sha256');
  const inputs = [
    ...(await filesUnder(sourceDir)),
    join(ROOT, 'package-lock.json'),
    fileURLToPath(import.meta.url),
  ];
  for (const file of inputs) {
    hash.update(relative(ROOT, file));
    hash.update('\0');
    hash.update(await readFile(file).catch(() => Buffer.alloc(0)));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

async function writeAtomic(path: string, body: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, body);
  await rename(tmp, path);
}

/** Bundle the app; returns the manifest written beside it. */
export async function buildDashboard(opts: BuildOptions = {}): Promise<DashboardManifest> {
  const sourceDir = opts.sourceDir ?? DASHBOARD_SOURCE_DIR;
  const outDir = opts.outDir ?? DASHBOARD_OUT_DIR;
  // esbuild only when building: a gateway started from a prebuilt bundle never loads it.
  const esbuild = await import('esbuild');
  const inputHash = await dashboardInputHash(sourceDir);
  const result = await esbuild.build({
    entryPoints: { main: join(sourceDir, 'src', 'main.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    outdir: join(outDir, ASSET_PREFIX),
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    write: false,
    logLevel: 'silent',
  });
  const assetsDir = join(outDir, ASSET_PREFIX);
  await mkdir(assetsDir, { recursive: true });
  const assets: Record<string, number> = {};
  let js: string | undefined;
  let css: string | undefined;
  for (const file of result.outputFiles) {
    const name = relative(outDir, file.path).split('\\').join('/');
    assets[name] = file.contents.byteLength;
    await writeAtomic(file.path, file.contents);
    // The entry point is named `main` above; chunks and source maps have other names.
    if (/^assets\/main-[^/]+\.js$/.test(name)) js = name;
    if (/^assets\/main-[^/]+\.css$/.test(name)) css = name;
  }
  if (js === undefined) throw new Error('dashboard build produced no entry script');
  const template = await readFile(join(sourceDir, 'index.html'), 'utf8');
  const html = template
    .replace('%MAIN_JS%', `/dashboard/${js}`)
    .replace('%MAIN_CSS%', css ? `/dashboard/${css}` : '');
  const manifest: DashboardManifest = {
    inputHash,
    builtAt: new Date().toISOString(),
    entry: { js, css },
    assets,
  };
  await writeAtomic(join(outDir, 'index.html'), html);
  await writeAtomic(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  // Assets of earlier builds are no longer named by any index.html this build serves.
  for (const name of await readdir(assetsDir)) {
    if (!(`${ASSET_PREFIX}${name}` in assets) && !name.endsWith('.tmp'))
      await rm(join(assetsDir, name), { force: true });
  }
  return manifest;
}

export async function readManifest(
  outDir = DASHBOARD_OUT_DIR,
): Promise<DashboardManifest | undefined> {
  try {
    return JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')) as DashboardManifest;
  } catch {
    return undefined;
  }
}

/**
 * The bundle, built first when it is missing or its inputs changed. Without sources (an image
 * that ships only `dist/`), whatever bundle is there is used.
 */
export async function ensureDashboard(
  opts: BuildOptions = {},
): Promise<{ manifest: DashboardManifest; built: boolean }> {
  const sourceDir = opts.sourceDir ?? DASHBOARD_SOURCE_DIR;
  const held = await readManifest(opts.outDir);
  const haveSources = await stat(join(sourceDir, 'src', 'main.ts')).then(
    () => true,
    () => false,
  );
  if (held && (!haveSources || held.inputHash === (await dashboardInputHash(sourceDir)))) {
    return { manifest: held, built: false };
  }
  return { manifest: await buildDashboard(opts), built: true };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  const manifest = await buildDashboard();
  const total = Object.values(manifest.assets).reduce((a, b) => a + b, 0);
  console.log(
    `dashboard built in ${Math.round(performance.now() - t0)} ms: ${Object.keys(manifest.assets).length} files, ${Math.round(total / 1024)} KB (with source maps) in ${relative(process.cwd(), DASHBOARD_OUT_DIR)}`,
  );
}

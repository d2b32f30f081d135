/**
 * The web app in Debian's Chromium at 280, 10,000 and 100,000 lamps. Per size: a lean live lab
 * (scripts/liveLab.ts: broker and gateway, and the simulator in segment mode as a process of its
 * own) runs as child processes, so the browser does not share an event loop with the services; the bench process only drives
 * the browser. Measured: sign-in to every lamp drawn, then 30 s of live updates (main-thread
 * busy share from long tasks and from all tasks, p95 frame interval), pan and zoom frame
 * intervals, JS heap, and the bundle's gzip size. The baseline is an empty page's frame
 * interval and busy share in the same browser in the same run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { DASHBOARD_OUT_DIR, ensureDashboard } from '../scripts/buildDashboard.ts';
import { launchChromium } from '../scripts/chromium.ts';
import { LIVE_LAB_ADMIN } from '../scripts/liveLab.ts';
import type { BenchResult } from './result.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const LIVE_S = Number(process.env.BENCH_DASHBOARD_LIVE_S ?? 30);
const SIZES = (process.env.BENCH_DASHBOARD_SIZES ?? '280,10000,100000').split(',').map(Number);
/**
 * Readings per lamp per second. 100,000 lamps at 1 Hz (100,000 readings/s through one broker,
 * one gateway and the simulator on two shared cores) is more than this machine produces, so
 * the largest fleet reports every 10 s: the same 10,000 readings/s as the 10,000-lamp run.
 */
const INTERVAL_MS = (lamps: number) => (lamps > 20_000 ? 10_000 : 1_000);

interface LabChild {
  base: string;
  lamps: number;
  child: ChildProcess;
}

async function startLabChild(lamps: number): Promise<LabChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/liveLab.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      // the lamps in a process of their own, as in a real lab: not in the gateway's event loop
      LIVE_LAB_SIMULATOR: 'process',
      SIMULATOR_LAMPS: String(lamps),
      SIMULATOR_MODE: 'segment',
      SIMULATOR_INTERVAL_MS: String(INTERVAL_MS(lamps)),
      // the page should get every reading: no per-lamp cap below the reading interval
      GATEWAY_WS_MIN_INTERVAL_MS: '500',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  // the lab's services may log to stdout before it prints its one JSON line
  const base = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { base?: unknown };
        if (typeof parsed.base === 'string') resolve(parsed.base);
      } catch {
        // not the line we wait for
      }
    });
    child.once('exit', (code) => reject(new Error(`live lab exited ${code}`)));
  });
  return { base, lamps, child };
}

function stopLabChild(lab: LabChild): Promise<void> {
  return new Promise((resolve) => {
    if (lab.child.exitCode !== null) return resolve();
    lab.child.once('exit', () => resolve());
    lab.child.kill('SIGTERM');
    setTimeout(() => lab.child.kill('SIGKILL'), 15_000).unref();
  });
}

/**
 * Wait until the lab's gateway answers quickly (the simulator's fleet has connected and the
 * first round of readings is through), at most a minute.
 */
async function settle(base: string): Promise<void> {
  let fast = 0;
  const until = Date.now() + 60_000;
  while (fast < 3 && Date.now() < until) {
    const t = performance.now();
    const ok = await fetch(`${base}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    fast = ok && performance.now() - t < 200 ? fast + 1 : 0;
    await new Promise((r) => setTimeout(r, 500));
  }
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const r1 = (v: number) => Math.round(v * 10) / 10;

/** Frame intervals, long tasks and CDP task time over `ms` while `during` runs. */
async function measureFrames(page: Page, ms: number, during?: () => Promise<void>) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const taskOf = async () =>
    (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')!
      .value;
  // Scripts as text: the bundler that runs this file names inner functions with a helper the
  // page does not have.
  await page.evaluate(`(() => {
    const w = window;
    w.__bench = { frames: [], long: 0, stop: false };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__bench.long += e.duration;
    }).observe({ type: 'longtask' });
    const tick = (t) => {
      w.__bench.frames.push(t);
      if (!w.__bench.stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })()`);
  const task0 = await taskOf();
  const t0 = Date.now();
  if (during) await during();
  const left = ms - (Date.now() - t0);
  if (left > 0) await page.waitForTimeout(left);
  const wall = Date.now() - t0;
  const task1 = await taskOf();
  const got = await page.evaluate(() => {
    const w = window as unknown as { __bench: { frames: number[]; long: number; stop: boolean } };
    w.__bench.stop = true;
    return { frames: w.__bench.frames, long: w.__bench.long };
  });
  await cdp.detach();
  const intervals = got.frames.slice(1).map((t, i) => t - got.frames[i]!);
  return {
    p50: r1(pct(intervals, 50)),
    p95: r1(pct(intervals, 95)),
    max: r1(Math.max(...intervals)),
    longTaskShare: r1((100 * got.long) / wall),
    busyShare: r1((100 * (task1 - task0) * 1000) / wall),
  };
}

async function heapMb(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return r1(usedSize / 1024 / 1024);
}

async function runSize(browser: Browser, lamps: number, m: BenchResult['metrics']) {
  const lab = await startLabChild(lamps);
  const key = (k: string) => `${lamps}.${k}`;
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await settle(lab.base);
    m[key('loadAvg1m')] = r1(loadavg()[0]!);
    await page.goto(`${lab.base}/dashboard/`, { timeout: 120_000 });
    await page.waitForSelector('#sign-in', { timeout: 120_000 });
    await page.fill('#sign-in input[name=username]', LIVE_LAB_ADMIN.username);
    await page.fill('#sign-in input[name=password]', LIVE_LAB_ADMIN.password);
    // a watcher in the page: the first frame in which the map drew every lamp
    await page.evaluate(`(() => {
      const look = () => {
        if ((window.__gadelys?.map?.count() ?? 0) >= ${lamps}) window.__drawnAt = performance.now();
        else requestAnimationFrame(look);
      };
      document.querySelector('#sign-in').addEventListener('submit', () => {
        window.__clickAt = performance.now();
        requestAnimationFrame(look);
      }, { capture: true });
    })()`);
    await page.click('#sign-in button[type=submit]');
    await page.waitForFunction(
      () => (window as { __drawnAt?: number }).__drawnAt !== undefined,
      undefined,
      {
        timeout: 120_000,
        polling: 100,
      },
    );
    const drawnMs = await page.evaluate(() => {
      const w = window as unknown as { __drawnAt: number; __clickAt: number };
      return w.__drawnAt - w.__clickAt;
    });
    m[key('signInToMapDrawnMs')] = Math.round(drawnMs);
    // where the sign-in time went: the login answer, the registry columns, the live snapshot
    // (the map is drawn from the registry's positions; the snapshot's values may come after)
    await page.waitForFunction(
      () => performance.getEntriesByName('gadelys:snapshot-applied').length > 0,
      undefined,
      { timeout: 120_000, polling: 50 },
    );
    const parts = await page.evaluate(() => {
      const clickAt = (window as unknown as { __clickAt: number }).__clickAt;
      const out: Record<string, number> = {};
      for (const e of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
        const name = e.name.includes('/api/auth/login')
          ? 'login'
          : e.name.includes('/api/lamps/columns')
            ? 'registry'
            : undefined;
        if (name && e.startTime >= clickAt) out[`${name}DoneMs`] = e.responseEnd - clickAt;
      }
      for (const e of performance.getEntriesByType('mark'))
        if (e.name.startsWith('gadelys:') && e.startTime >= clickAt)
          out[`${e.name.slice(8).replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}Ms`] =
            e.startTime - clickAt;
      return out;
    });
    for (const [k, v] of Object.entries(parts)) m[key(`signIn.${k}`)] = Math.round(v);
    // let the first full round of readings arrive before measuring the steady state
    await page.waitForTimeout(Math.max(3_000, INTERVAL_MS(lamps)));
    const live = await measureFrames(page, LIVE_S * 1000);
    m[key('liveFrameP50Ms')] = live.p50;
    m[key('liveFrameP95Ms')] = live.p95;
    m[key('liveLongTaskSharePct')] = live.longTaskShare;
    m[key('liveBusySharePct')] = live.busyShare;
    const drawMs = await page.evaluate(() => window.__gadelys?.map?.drawMs?.());
    if (typeof drawMs === 'number') m[key('lastDrawMs')] = r1(drawMs);
    const box = (await page.locator('canvas.map-lamps').boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    const panZoom = await measureFrames(page, 0, async () => {
      for (let k = 0; k < 3; k++) {
        await page.mouse.move(cx, cy);
        await page.mouse.down();
        await page.mouse.move(cx + 250, cy + 120, { steps: 40 });
        await page.mouse.move(cx - 150, cy - 80, { steps: 40 });
        await page.mouse.up();
        for (let z = 0; z < 12; z++) {
          await page.mouse.wheel(0, k % 2 === 0 ? -120 : 120);
          await page.waitForTimeout(16);
        }
      }
    });
    m[key('panZoomFrameP50Ms')] = panZoom.p50;
    m[key('panZoomFrameP95Ms')] = panZoom.p95;
    m[key('jsHeapMb')] = await heapMb(page);
    await context.close();
  } finally {
    await stopLabChild(lab);
  }
}

async function bundleSizes() {
  const { manifest } = await ensureDashboard();
  let all = 0;
  let initial = 0;
  const html = await readFile(join(DASHBOARD_OUT_DIR, 'index.html'), 'utf8');
  for (const name of Object.keys(manifest.assets)) {
    if (name.endsWith('.map')) continue;
    const gz = gzipSync(await readFile(join(DASHBOARD_OUT_DIR, name))).length;
    all += gz;
    if (html.includes(name)) initial += gz;
  }
  return { allKb: r1(all / 1024), initialKb: r1(initial / 1024) };
}

export async function run(): Promise<BenchResult> {
  const metrics: BenchResult['metrics'] = {};
  const ratios: BenchResult['ratios'] = {};
  const notes: string[] = [];
  const bundle = await bundleSizes();
  metrics.bundleGzipKb = bundle.allKb;
  metrics.bundleInitialGzipKb = bundle.initialKb;
  const browser = await launchChromium();
  try {
    const blank = await browser.newPage();
    await blank.setContent('<!doctype html><title>baseline</title>');
    const base = await measureFrames(blank, 10_000);
    await blank.close();
    metrics.baselineFrameP95Ms = base.p95;
    metrics.baselineBusySharePct = base.busyShare;
    for (const lamps of SIZES) {
      try {
        await runSize(browser, lamps, metrics);
      } catch (err) {
        // one size that cannot run here must not cost the figures of the others
        metrics[`${lamps}.failed`] = String(
          err instanceof Error ? err.message.split('\n')[0] : err,
        );
        continue;
      }
      const p95 = metrics[`${lamps}.liveFrameP95Ms`];
      if (typeof p95 === 'number' && base.p95 > 0)
        ratios[`${lamps}.liveFrameP95VsEmptyPage`] = p95 / base.p95;
    }
  } finally {
    await browser.close();
  }
  notes.push(
    `machine load average (1 min) at the start of each size is recorded as <lamps>.loadAvg1m: this machine is shared by other jobs`,
  );
  notes.push(
    `services: scripts/liveLab.ts (broker and gateway without store in one child process, the simulator in segment mode in another) per size; readings every 1 s up to 20,000 lamps, every 10 s above (100,000 lamps at 1 Hz is more than this machine produces); ${LIVE_S} s of live updates; Chromium 1280x800 headless`,
  );
  return { name: 'dashboard', metrics, ratios, notes };
}

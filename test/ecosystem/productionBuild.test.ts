/**
 * The production build runs: the services compiled with tsc (tsconfig.build.json, as the image's
 * build stage does), the dashboard bundle beside them, then the compiled broker, gateway and
 * processor started with plain `node` (no tsx, no loader flags) from a temp dir, on InfluxDB (Debian's
 * influxd), answering /health, the REST API and the web app.
 */

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cp, mkdir, readdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DASHBOARD_OUT_DIR, ensureDashboard } from '../../scripts/buildDashboard.ts';
import { buildServer } from '../../scripts/buildServer.ts';
import { eventually } from '../helpers/eventually.ts';
import { startInfluxd, type TestInfluxd } from '../helpers/influxd.ts';
import { composeConfig } from './compose.ts';
import { type Started, startProcess } from './processes.ts';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gadelys-build-'));
const app = join(dir, 'app');
let influxd: TestInfluxd;
const started: Started[] = [];

/** Every .ts file under a folder (the image must ship none). */
async function tsFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => e.name);
}

beforeAll(async () => {
  influxd = await startInfluxd({ database: 'gadelys' });
  // The image's layout: compiled tree at /app, the bundle at /app/dist/dashboard, node_modules.
  await buildServer(app, { check: false });
  await ensureDashboard();
  await mkdir(join(app, 'dist'), { recursive: true });
  await cp(DASHBOARD_OUT_DIR, join(app, 'dist', 'dashboard'), { recursive: true });
  await symlink(join(root, 'node_modules'), join(app, 'node_modules'), 'dir');
  await cp(join(root, 'package.json'), join(app, 'package.json'));
}, 180_000);

afterAll(async () => {
  for (const s of started.reverse()) await s.stop();
  await influxd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string>) => ({
  PATH: process.env.PATH,
  NODE_ENV: 'production',
  LAB_SECRET: 'build-test-secret',
  LOG_LEVEL: 'warn',
  ...extra,
});

test('the build holds compiled JavaScript only, with the run-time data', async () => {
  expect(await tsFiles(join(app, 'services'))).toEqual([]);
  expect(await tsFiles(join(app, 'shared'))).toEqual([]);
  // Every entry point compose and the Dockerfile start is in the build.
  const entries = Object.values(composeConfig().services).flatMap((svc) =>
    svc.command?.[0] === 'node' ? [svc.command[1]!] : [],
  );
  expect(entries.length).toBeGreaterThanOrEqual(4);
  for (const entry of [...entries, 'services/lab/main.js']) {
    expect(existsSync(join(app, entry)), entry).toBe(true);
  }
  const data = await readdir(join(app, 'shared', 'data'));
  expect(data).toContain('doll-route.geojson');
  expect(data).toContain('catalog.json');
});

test('the compiled broker, gateway and processor start with plain node and answer /health', async () => {
  const broker = startProcess(process.execPath, ['services/broker/main.js'], {
    cwd: app,
    env: env({ MQTT_PORT: '0', MQTT_WS_PORT: '0', BROKER_METRICS_PORT: '0' }),
  });
  started.push(broker);
  const mqttUrl = (
    await broker.waitFor(/broker MQTT\s+(mqtt:\/\/[\d.:]+)/, 'the broker banner')
  )[1]!;
  const brokerHealth = (
    await broker.waitFor(/broker health\s+(http:\/\/\S+)/, 'broker health')
  )[1]!;
  const b = await fetch(brokerHealth);
  expect(b.status).toBe(200);
  expect(((await b.json()) as { status: string }).status).toBe('ok');

  const gateway = startProcess(process.execPath, ['services/gateway/main.js'], {
    cwd: app,
    env: env({
      PORT: '0',
      MQTT_URL: mqttUrl,
      STORE: 'influxdb',
      INFLUX_URL: influxd.url,
      INFLUX_DATABASE: 'gadelys',
      GATEWAY_DATA_DIR: join(dir, 'gateway'),
    }),
  });
  started.push(gateway);
  const base = (
    await gateway.waitFor(/gateway REST API\s+(http:\/\/[\d.:]+)\/api\//, 'the gateway banner')
  )[1]!;
  const health = await eventually(
    'gateway health 200',
    async () => {
      const res = await fetch(`${base}/api/health`);
      return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200 },
  );
  expect(health).toMatchObject({ ok: true, service: 'gateway', store: 'influxdb' });

  // The processor runs itself in a worker thread that imports its own compiled file.
  const processor = startProcess(process.execPath, ['services/processor/main.js'], {
    cwd: app,
    env: env({
      MQTT_URL: mqttUrl,
      STORE: 'influxdb',
      INFLUX_URL: influxd.url,
      INFLUX_DATABASE: 'gadelys',
      PROCESSOR_METRICS_PORT: '0',
      SPOOL_DIR: join(dir, 'spool'),
    }),
  });
  started.push(processor);
  const processorHealth = (
    await processor.waitFor(/processor health\s+(http:\/\/\S+)/, 'processor health')
  )[1]!;
  await eventually(
    'processor health 200',
    async () => ((await fetch(processorHealth)).status === 200 ? true : undefined),
    { timeoutMs: 20_000, intervalMs: 200 },
  );
  const page = await fetch(`${base}/dashboard/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toMatch(/<script[^>]+src="\/dashboard\/assets\/main-[^"]+\.js"/);
  // No loader: the processes run what tsc emitted.
  expect(broker.child.spawnargs).toEqual([process.execPath, 'services/broker/main.js']);
  for (const p of [broker, gateway, processor])
    expect(p.output()).not.toMatch(/ERR_UNKNOWN_FILE_EXTENSION|\.ts'/);
}, 120_000);

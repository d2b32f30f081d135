// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/**
 * The services as separate processes, each started by its own main.ts, as README describes:
 * - on InfluxDB everything works: an inventory uploaded through the gateway is, after a restart,
 *   what the broker, processor, simulator and gateway run, under a renamed gateway account, and
 *   history answers from what the processor stored;
 * - on the embedded DuckDB store, which one process owns, the processor owns it, and a gateway
 *   (or a second processor) on its own refuses to start, naming the fix, instead of answering
 *   503 "no storage configured" later.
 * Every process is stopped by its PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually } from '../helpers/eventually.ts';
import { startInfluxd, type TestInfluxd } from '../helpers/influxd.ts';
import { SURVEYED_LAMPS, surveyCsv } from './survey.ts';

const root = new URL('../..', import.meta.url).pathname;
const LAMPS = SURVEYED_LAMPS;
const PASSWORD = 'separate processes password';
/** Process starts on this shared machine take seconds each. */
const START_MS = 60_000;

interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

const running = new Set<Proc>();

function start(entry: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const proc: Proc = {
    child,
    output: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      running.delete(proc);
      return code;
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

/** Wait for a line of a process's output; fails with that output if it exits first. */
function waitForOutput(p: Proc, pattern: RegExp, what: string): Promise<RegExpMatchArray> {
  return eventually(
    what,
    () => {
      const m = p.output().match(pattern);
      if (m) return m;
      if (p.child.exitCode !== null) throw new Error(`exited ${p.child.exitCode}: ${p.output()}`);
      return undefined;
    },
    { timeoutMs: START_MS, intervalMs: 50, detail: () => p.output().slice(-3000) },
  );
}

async function call(base: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

let dir: string;
let influx: TestInfluxd;
let common: Record<string, string>;
let mqttUrl = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gadelys-split-'));
  influx = await startInfluxd({ database: 'gadelys' });
  common = {
    LAB_SECRET: 'separate-processes-secret',
    GATEWAY_DATA_DIR: join(dir, 'gateway'),
    GATEWAY_MQTT_USERNAME: 'gw-east',
    STORE: 'influxdb',
    INFLUX_URL: influx.url,
    INFLUX_DATABASE: influx.database,
    LOG_LEVEL: 'warn',
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    BROKER_METRICS_PORT: '0',
    PROCESSOR_METRICS_PORT: '0',
    PORT: '0',
    SPOOL_DIR: join(dir, 'spool'),
  };
});

afterAll(async () => {
  for (const p of [...running]) await p.stop();
  await influx?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function startBroker(): Promise<Proc> {
  const broker = start('services/broker/main.ts', common);
  mqttUrl = (
    await waitForOutput(broker, /MQTT\s+(mqtt:\/\/127\.0\.0\.1:\d+)/, 'broker banner')
  )[1]!;
  return broker;
}

async function startGateway(env: Record<string, string> = {}): Promise<{ p: Proc; base: string }> {
  const p = start('services/gateway/main.ts', { ...common, MQTT_URL: mqttUrl, ...env });
  const m = await waitForOutput(
    p,
    /gateway REST API\s+(http:\/\/[\d.:]+)\/api\//,
    'gateway banner',
  );
  return { p, base: m[1]! };
}

describe('separate processes', () => {
  test(
    'on InfluxDB: an uploaded inventory is every service’s after a restart, and history answers',
    async () => {
      // Before: the shipped route; an admin uploads a surveyed inventory.
      let broker = await startBroker();
      let gateway = await startGateway();
      const secret = gateway.p.output().match(/"secret":"([^"]+)"/)?.[1];
      expect(secret).toBeDefined();
      const boot = await call(gateway.base, 'POST', '/api/auth/bootstrap', undefined, {
        secret,
        username: 'admin',
        password: PASSWORD,
      });
      expect(boot.status).toBe(201);
      const login = async (base: string) =>
        (
          await call(base, 'POST', '/api/auth/login', undefined, {
            username: 'admin',
            password: PASSWORD,
          })
        ).json.token as string;
      let token = await login(gateway.base);
      const model = 'nordlys-arc-75';
      const content = surveyCsv(model);
      const up = await call(gateway.base, 'POST', '/api/registry/inventory', token, {
        format: 'csv',
        content,
      });
      expect(up.json).toMatchObject({ ok: true, lamps: LAMPS.length });
      expect(await gateway.p.stop()).toBe(0);
      expect(await broker.stop()).toBe(0);

      // After: every service restarted on its own, none told about the file but by GATEWAY_DATA_DIR.
      broker = await startBroker();
      const processor = start('services/processor/main.ts', { ...common, MQTT_URL: mqttUrl });
      await waitForOutput(processor, /gadelys processor/, 'processor banner');
      gateway = await startGateway();
      const simulator = start('simulator/main.ts', {
        ...common,
        MQTT_URL: mqttUrl,
        SIMULATOR_INTERVAL_MS: '200',
      });
      token = await login(gateway.base);
      const live = await eventually(
        'the uploaded lamps live in the gateway',
        async () => {
          const r = await call(gateway.base, 'GET', '/api/live', token);
          return r.json.lamps?.every((l: any) => l.telemetry !== null) && r.json.lamps;
        },
        { timeoutMs: START_MS, detail: () => simulator.output().slice(-2000) },
      );
      // The gateway's registry is the uploaded one, and the simulator's lamps got past the broker.
      expect(live.map((l: any) => l.lampId)).toEqual(LAMPS);
      const history = await eventually(
        'stored history through the gateway',
        async () => {
          const r = await call(
            gateway.base,
            'GET',
            `/api/history?field=activePower&lampIds=${LAMPS[2]}&from=${Date.now() - 120_000}&bucketMs=1000`,
            token,
          );
          return r.json.series?.[0]?.points.some((pt: any) => pt.value !== null) && r;
        },
        { timeoutMs: START_MS, detail: () => processor.output().slice(-2000) },
      );
      // The processor tagged the reading from the uploaded inventory (no unknown_lamp).
      expect(history.status).toBe(200);
      expect(history.json.series[0].lampId).toBe(LAMPS[2]);
      expect(await simulator.stop()).toBe(0);
      expect(await gateway.p.stop()).toBe(0);
      expect(await processor.stop()).toBe(0);
    },
    4 * START_MS,
  );

  test(
    'on DuckDB: the processor owns the file; a gateway or a second processor refuses clearly',
    async () => {
      const duck = { STORE: 'duckdb', DUCKDB_PATH: join(dir, 'one.duckdb'), MQTT_URL: mqttUrl };
      const owner = start('services/processor/main.ts', {
        ...common,
        ...duck,
        PROCESSOR_CLIENT_ID: 'duckdb-owner',
        SPOOL_DIR: join(dir, 'spool-owner'),
      });
      await waitForOutput(owner, /gadelys processor/, 'processor banner');

      const gateway = start('services/gateway/main.ts', { ...common, ...duck });
      expect(await gateway.exited).toBe(1);
      expect(gateway.output()).toMatch(
        /STORE=duckdb: the embedded store .* belongs to the processor/,
      );
      expect(gateway.output()).toContain('STORE=influxdb');
      expect(gateway.output()).toContain('npm start');
      expect(gateway.output()).not.toMatch(/no storage configured|Could not set lock/);

      const second = start('services/processor/main.ts', {
        ...common,
        ...duck,
        PROCESSOR_CLIENT_ID: 'duckdb-second',
        SPOOL_DIR: join(dir, 'spool-second'),
      });
      expect(await second.exited).toBe(1);
      expect(second.output()).toMatch(
        new RegExp(
          `DUCKDB_PATH=.*the embedded store is open in another process \\(PID ${owner.child.pid}\\)`,
        ),
      );
      expect(second.output()).toContain('npm start');
      expect(await owner.stop()).toBe(0);
    },
    2 * START_MS,
  );
});

// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers are checked field by field
/**
 * What a newcomer gets from `npm start`: the lab's real entry point as a child process, every
 * service on a free port with temp data, live lamp data reaching the REST API, a command acked
 * by a simulated lamp and stored history; then a clean shutdown on SIGINT.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type EventuallyOptions, eventually } from '../helpers/eventually.ts';
import { labEnv } from '../helpers/labEnv.ts';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gadelys-lab-'));
let child: ChildProcess;
let out = '';
let base = '';
let token = '';

/** The lab starts 280 lamps on a shared machine: wait up to a minute, and show its output. */
const LAB_WAIT: EventuallyOptions = {
  timeoutMs: 60_000,
  intervalMs: 500,
  detail: () => `lab output:\n${out.slice(-3000)}`,
};

async function api(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'services/lab/main.ts'], {
    cwd: root,
    env: labEnv(dir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  base = await eventually(
    'the start-up banner',
    async () => out.match(/gateway REST API\s+(http:\/\/[\d.:]+)\/api\//)?.[1],
    LAB_WAIT,
  );
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('the banner lists every service', () => {
  for (const line of [
    'broker MQTT',
    'processor health',
    'gateway dashboard',
    'simulator 280 lamps',
  ]) {
    expect(out).toContain(line);
  }
  expect(out).toMatch(/gadelys lab: 280 lamp posts in 12 segments \(approximate route geometry\)/);
});

test('a first admin, live data from every lamp, a command acked, history stored', async () => {
  const secret = out.match(/"secret":"([^"]+)"/)?.[1];
  expect(secret).toBeDefined();
  const password = 'correct horse battery staple';
  expect(
    (await api('POST', '/api/auth/bootstrap', { secret, username: 'admin', password })).status,
  ).toBe(201);
  token = (await api('POST', '/api/auth/login', { username: 'admin', password })).json.token;
  expect(token).toBeTruthy();

  const live = await eventually(
    'telemetry from every lamp',
    async () => {
      const r = await api('GET', '/api/live');
      const reporting = r.json.lamps.filter((l: any) => l.telemetry && l.status === 'online');
      return reporting.length === 280 ? reporting : undefined;
    },
    LAB_WAIT,
  );
  expect(live[0].telemetry.supplyVoltage).toBeGreaterThan(200);

  const sent = await api('POST', '/api/commands', {
    target: { kind: 'lamp', lampId: 'DOLL-0042' },
    action: { type: 'override', level: 73, rampMs: 0, reason: 'lab test' },
  });
  expect(sent.status).toBe(202);
  const id = sent.json.command.commandId;
  const done = await eventually(
    'the ack',
    async () => {
      const r = await api('GET', `/api/commands/${id}`);
      return r.json.command.status === 'pending' ? undefined : r.json.command;
    },
    LAB_WAIT,
  );
  expect(done.status).toBe('acked');
  await eventually(
    'the new level in live state',
    async () => {
      const r = await api('GET', '/api/lamps/DOLL-0042');
      return JSON.stringify(r.json).includes('"actualLevel":73') ? true : undefined;
    },
    LAB_WAIT,
  );

  const history = await eventually(
    'stored history',
    async () => {
      const r = await api(
        'GET',
        '/api/history?field=supplyVoltage&lampIds=DOLL-0042&bucketMs=60000',
      );
      const points = (r.json.series ?? [])
        .flatMap((s: any) => s.points)
        .filter((p: any) => p.value !== null);
      return points.length > 0 ? points : undefined;
    },
    LAB_WAIT,
  );
  expect(history[0].value).toBeGreaterThan(200);
});

test('Ctrl-C (SIGINT, which can arrive twice) stops every service and exits 0', async () => {
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (c) => resolve(c));
    // The terminal's copy and the one tsx or npm passes on.
    child.kill('SIGINT');
    child.kill('SIGINT');
  });
  expect(code).toBe(0);
});

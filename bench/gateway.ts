/**
 * `npm run bench -- gateway`: the gateway as the lab runs it (broker and gateway in one process).
 * - lamp-to-WebSocket latency at 280 lamps x 1 Hz and at 20,000 msg/s, next to the broker's own
 *   delivery latency to a plain MQTT subscriber measured on the same messages (the baseline);
 * - command round trip to one lamp, and the time until an all-route (280) and a 10,000-lamp
 *   command are fully acknowledged (lamps: the real simulator in segment mode);
 * - CPU of the gateway process with 500 WebSocket clients against none, same feed.
 * Publishers and the 500 clients run in child processes so their CPU is not counted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { WebSocket } from 'ws';
import type { WsServerFrame } from '../services/gateway/api.ts';
import { silentLogger } from '../shared/log.ts';
import { loadRegistry, type Registry } from '../shared/registry/index.ts';
import { loadSimulatorConfig } from '../simulator/config.ts';
import { scaleRegistry } from '../simulator/fleet.ts';
import { type RunningSimulator, startSimulator } from '../simulator/simulator.ts';
import { type Harness, startHarness } from '../test/gateway/harness.ts';
import type { BenchResult } from './result.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LAB_SECONDS = 10;
const FAST_SECONDS = 5;
const FAST_RATE = 20_000;
const ONE_LAMP_COMMANDS = 200;
const WS_CLIENTS = 500;
const CPU_SECONDS = 10;

/** Publishes telemetry for LAMPS round-robin at RATE msg/s for MS ms as the simulator account. */
const PUBLISHER = `
import mqtt from 'mqtt';
const e = process.env;
const lamps = e.LAMPS.split(',');
const rate = Number(e.RATE), ms = Number(e.MS);
const c = await mqtt.connectAsync(e.URL, { username: 'simulator', password: e.PASS, clientId: 'bench-pub-' + process.pid, protocolVersion: 4 });
let i = 0, seq = 0, sent = 0;
const t0 = Date.now();
const perTick = rate / 100;
let owed = 0;
await new Promise((done) => {
  const timer = setInterval(() => {
    if (Date.now() - t0 >= ms) { clearInterval(timer); return done(); }
    owed += perTick;
    for (; owed >= 1; owed--) {
      const lampId = lamps[i++ % lamps.length];
      const ts = Date.now();
      c.publish('gadelys/v1/lamp/' + lampId + '/telemetry', JSON.stringify({ lampId, seq: seq++, ts, targetLevel: 50, actualLevel: 50,
        activePower: 20, activeEnergy: 100, supplyVoltage: 230, supplyCurrent: 0.1, powerFactor: 0.95, operatingHours: 1,
        switchOnCounter: 1, gearTemperature: 20 }), { qos: 0 });
      sent++;
    }
  }, 10);
});
await c.endAsync();
console.log(JSON.stringify({ sent, seconds: (Date.now() - t0) / 1000 }));
`;

/** Opens N WebSocket clients subscribed to everything; prints the frames received on SIGTERM. */
const CLIENTS = `
import { WebSocket } from 'ws';
const e = process.env;
let frames = 0, open = 0;
const sockets = [];
for (let i = 0; i < Number(e.N); i++) {
  const ws = new WebSocket(e.URL, ['gadelys', 'bearer.' + e.TOKEN], { perMessageDeflate: false });
  ws.on('open', () => { open++; ws.send(JSON.stringify({ type: 'subscribe', all: true })); if (open === Number(e.N)) console.log(JSON.stringify({ open })); });
  ws.on('message', () => frames++);
  sockets.push(ws);
}
process.on('SIGTERM', () => { console.log(JSON.stringify({ frames })); process.exit(0); });
`;

function child(
  code: string,
  env: Record<string, string>,
): { proc: ChildProcess; lines: AsyncIterator<string> } {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const queue: string[] = [];
  const waiters: ((s: string) => void)[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w(line);
      else queue.push(line);
    }
  });
  return {
    proc,
    lines: {
      next: () =>
        new Promise((resolve) => {
          const l = queue.shift();
          if (l !== undefined) resolve({ value: l, done: false });
          else waiters.push((value) => resolve({ value, done: false }));
        }),
    },
  };
}

const pct = (sorted: number[], p: number) =>
  sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
    : Number.NaN;
const round = (x: number, d = 1) => Number(x.toFixed(d));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function wsClient(h: Harness, token: string) {
  const ws = new WebSocket(h.wsUrl, ['gadelys', `bearer.${token}`], { perMessageDeflate: false });
  return new Promise<WebSocket>((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Latency of the same feed at the broker's subscriber (baseline) and at a WebSocket client. */
async function latency(h: Harness, rate: number, seconds: number) {
  const lamps = h.broker.registry.lamps.map((l) => l.id);
  const ws = await wsClient(h, h.tokens.viewer);
  ws.send(JSON.stringify({ type: 'subscribe', all: true }));
  const wsLat: number[] = [];
  const brokerLat: number[] = [];
  let recording = false;
  ws.on('message', (data) => {
    const t = Date.now();
    const f = JSON.parse(data.toString()) as WsServerFrame;
    if (!recording || f.type !== 'delta') return;
    for (const ts of f.live.ts) if (ts !== null) wsLat.push(t - (f.t0 + ts));
  });
  const sub = await mqtt.connectAsync(h.broker.url, {
    ...h.broker.credentialsFor('gateway'),
    protocolVersion: 4,
  });
  sub.on('message', (_t, payload) => {
    if (recording)
      brokerLat.push(Date.now() - (JSON.parse(payload.toString()) as { ts: number }).ts);
  });
  await sub.subscribeAsync('gadelys/v1/lamp/+/telemetry', { qos: 0 });
  recording = true;
  const pass = h.broker.credentialsFor('simulator').password;
  const pub = child(PUBLISHER, {
    URL: h.broker.url,
    PASS: pass,
    LAMPS: lamps.join(','),
    RATE: String(rate),
    MS: String(seconds * 1000),
  });
  const { value } = await pub.lines.next();
  const published = JSON.parse(value as string) as { sent: number; seconds: number };
  await sleep(300);
  recording = false;
  ws.close();
  await sub.endAsync();
  wsLat.sort((a, b) => a - b);
  brokerLat.sort((a, b) => a - b);
  return {
    publishedPerS: round(published.sent / published.seconds, 0),
    brokerDelivered: brokerLat.length,
    wsDelivered: wsLat.length,
    ws: { p50: pct(wsLat, 50), p99: pct(wsLat, 99) },
    broker: { p50: pct(brokerLat, 50), p99: pct(brokerLat, 99) },
  };
}

async function withSimulator(h: Harness): Promise<RunningSimulator> {
  const sim = await startSimulator(
    loadSimulatorConfig({
      MQTT_URL: h.broker.url,
      SIMULATOR_MODE: 'segment',
      SIMULATOR_INTERVAL_MS: '3600000',
      SIMULATOR_SPEED: '1',
      LOG_LEVEL: 'silent',
    }),
    { registry: h.broker.registry, log: silentLogger, labSecret: h.broker.labSecret },
  );
  // wait until every controller connection is up
  for (let i = 0; i < 600 && sim.stats().connected < sim.stats().connections; i++) await sleep(50);
  return sim;
}

/** Follow command updates over the WebSocket: resolves when a command is no longer pending. */
async function commandWatcher(h: Harness) {
  const ws = await wsClient(h, h.tokens.operator);
  const finished = new Map<
    string,
    { at: number; status: string; acked: number; lampCount: number; rttP50: number | null }
  >();
  const waiting = new Map<string, () => void>();
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as {
      type: string;
      command?: {
        commandId: string;
        status: string;
        lampCount: number;
        counts: { acked: number };
        rttMs: { p50: number | null };
      };
    };
    if (f.type !== 'command' || !f.command || f.command.status === 'pending') return;
    const c = f.command;
    if (!finished.has(c.commandId))
      finished.set(c.commandId, {
        at: Date.now(),
        status: c.status,
        acked: c.counts.acked,
        lampCount: c.lampCount,
        rttP50: c.rttMs.p50,
      });
    waiting.get(c.commandId)?.();
  });
  ws.send(JSON.stringify({ type: 'subscribe', lamps: [], commands: true }));
  await sleep(100);
  return {
    async send(body: unknown): Promise<{
      ms: number;
      status: string;
      acked: number;
      lampCount: number;
      rttP50: number | null;
    }> {
      const t0 = Date.now();
      const res = await fetch(`${h.base}/api/commands`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${h.tokens.operator}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as { command: { commandId: string } };
      const id = json.command.commandId;
      if (!finished.has(id)) await new Promise<void>((resolve) => waiting.set(id, resolve));
      waiting.delete(id);
      const f = finished.get(id)!;
      return {
        ms: f.at - t0,
        status: f.status,
        acked: f.acked,
        lampCount: f.lampCount,
        rttP50: f.rttP50,
      };
    },
    close: () => ws.close(),
  };
}

async function cpuWithClients(
  h: Harness,
  clients: number,
): Promise<{ cpuPct: number; framesPerS: number }> {
  let ws: ReturnType<typeof child> | undefined;
  if (clients > 0) {
    ws = child(CLIENTS, { URL: h.wsUrl, TOKEN: h.tokens.viewer, N: String(clients) });
    await ws.lines.next();
  }
  const pass = h.broker.credentialsFor('simulator').password;
  const lamps = h.broker.registry.lamps.map((l) => l.id);
  const pub = child(PUBLISHER, {
    URL: h.broker.url,
    PASS: pass,
    LAMPS: lamps.join(','),
    RATE: String(lamps.length),
    MS: String(CPU_SECONDS * 1000),
  });
  await sleep(1000);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep((CPU_SECONDS - 2) * 1000);
  const c1 = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  await pub.lines.next();
  let frames = 0;
  if (ws) {
    ws.proc.kill('SIGTERM');
    frames = (JSON.parse((await ws.lines.next()).value as string) as { frames: number }).frames;
  }
  return {
    cpuPct: round(((c1.user + c1.system) / 1000 / wall) * 100),
    framesPerS: round(frames / CPU_SECONDS, 0),
  };
}

export async function run(): Promise<BenchResult> {
  const metrics: BenchResult['metrics'] = {};
  const ratios: BenchResult['ratios'] = {};
  const notes: string[] = [
    'one process holds the broker (aedes, auth on) and the gateway, as in `npm start`; publishers and the 500 WebSocket clients are child processes',
    'latency = receive time - reading timestamp (same machine clock); WebSocket per-lamp cap GATEWAY_WS_MIN_INTERVAL_MS=100 (default)',
  ];
  const env = { GATEWAY_COMMANDS_PER_MINUTE: '100000', GATEWAY_COMMAND_TIMEOUT_MS: '5000' };

  let h = await startHarness({ env });
  try {
    const lab = await latency(h, h.broker.registry.lamps.length, LAB_SECONDS);
    metrics['lab.publishedPerS'] = lab.publishedPerS;
    metrics['lab.ws.p50Ms'] = lab.ws.p50;
    metrics['lab.ws.p99Ms'] = lab.ws.p99;
    metrics['lab.broker.p50Ms'] = lab.broker.p50;
    metrics['lab.broker.p99Ms'] = lab.broker.p99;
    metrics['lab.wsDeliveredOfBroker'] = `${lab.wsDelivered}/${lab.brokerDelivered}`;
    ratios['lab.wsP99/brokerP99'] = lab.ws.p99 / Math.max(1, lab.broker.p99);

    const fast = await latency(h, FAST_RATE, FAST_SECONDS);
    metrics['fast.publishedPerS'] = fast.publishedPerS;
    metrics['fast.ws.p50Ms'] = fast.ws.p50;
    metrics['fast.ws.p99Ms'] = fast.ws.p99;
    metrics['fast.broker.p50Ms'] = fast.broker.p50;
    metrics['fast.broker.p99Ms'] = fast.broker.p99;
    metrics['fast.wsDeliveredOfBroker'] = `${fast.wsDelivered}/${fast.brokerDelivered}`;
    ratios['fast.wsP99/brokerP99'] = fast.ws.p99 / Math.max(1, fast.broker.p99);

    const idle = await cpuWithClients(h, 0);
    const loaded = await cpuWithClients(h, WS_CLIENTS);
    metrics['cpu.0clients.pct'] = idle.cpuPct;
    metrics[`cpu.${WS_CLIENTS}clients.pct`] = loaded.cpuPct;
    metrics[`cpu.${WS_CLIENTS}clients.framesPerS`] = loaded.framesPerS;
    ratios[`cpu.${WS_CLIENTS}clients/0clients`] = loaded.cpuPct / Math.max(0.1, idle.cpuPct);

    const sim = await withSimulator(h);
    const watch = await commandWatcher(h);
    const lampId = h.broker.registry.lamps[0]!.id;
    const client: number[] = [];
    const gateway: number[] = [];
    for (let i = 0; i < ONE_LAMP_COMMANDS; i++) {
      const r = await watch.send({
        target: { kind: 'lamp', lampId },
        action: { type: 'override', level: i % 100 },
      });
      client.push(r.ms);
      if (r.rttP50 !== null) gateway.push(r.rttP50);
    }
    client.sort((a, b) => a - b);
    gateway.sort((a, b) => a - b);
    metrics['oneLamp.client.p50Ms'] = pct(client, 50);
    metrics['oneLamp.client.p99Ms'] = pct(client, 99);
    metrics['oneLamp.gatewayRtt.p50Ms'] = pct(gateway, 50);
    metrics['oneLamp.gatewayRtt.p99Ms'] = pct(gateway, 99);
    const route = await watch.send({
      target: { kind: 'route' },
      action: { type: 'override', level: 40 },
    });
    metrics['route280.fullyAckedMs'] = route.ms;
    metrics['route280.acked'] = `${route.acked}/${route.lampCount}`;
    ratios['route280.fullyAcked/oneLampP50'] = route.ms / Math.max(1, pct(client, 50));
    watch.close();
    await sim.stop();
  } finally {
    await h.stop();
  }

  const big: Registry = scaleRegistry(loadRegistry(), 10_000);
  h = await startHarness({ env, registry: big });
  try {
    const sim = await withSimulator(h);
    const watch = await commandWatcher(h);
    const r = await watch.send({
      target: { kind: 'route' },
      action: { type: 'override', level: 30 },
    });
    metrics['route10k.fullyAckedMs'] = r.ms;
    metrics['route10k.acked'] = `${r.acked}/${r.lampCount}`;
    watch.close();
    await sim.stop();
  } finally {
    await h.stop();
  }
  return { name: 'gateway', metrics, ratios, notes };
}

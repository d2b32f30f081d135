/**
 * `npm run bench -- broker`: delivery rate through our broker (aedes with authentication,
 * authorization, metrics and packet guard on, run as its own process like in production) next to
 * Debian's Mosquitto started in the same run. One mqtt.js publisher (the simulator account,
 * publishing per-lamp telemetry topics) and one subscriber (the processor account, on
 * `gadelys/v1/lamp/+/telemetry`). Rounds alternate between the brokers; the best round counts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { BROKER_DEFAULTS } from '../services/broker/config.ts';
import { type ServiceRole, servicePassword } from '../shared/auth/serviceAccounts.ts';
import { topics } from '../shared/contract/index.ts';
import { loadRegistry } from '../shared/registry/index.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { freePort, waitForPort } from '../test/helpers/ports.ts';
import type { BenchResult } from './result.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MESSAGES = { 0: 200_000, 1: 100_000 } as const;
const ROUNDS = 2;
/** Publishes outstanding at once; mqtt.js and both brokers keep well below their limits. */
const WINDOW = 1_000;
const STALL_MS = 3_000;
const WARMUP = 20_000;

interface Target {
  url: string;
  /** The broker's process, for its CPU time. */
  pid: number;
  publisher: mqtt.IClientOptions;
  subscriber: mqtt.IClientOptions;
  stop(): Promise<void>;
}

async function startOurBroker(): Promise<Target> {
  const labSecret = randomBytes(16).toString('hex');
  const [port, metricsPort] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'services/broker/main.ts'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        LAB_SECRET: labSecret,
        MQTT_PORT: String(port),
        BROKER_WS_ENABLED: 'false',
        BROKER_METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'warn',
      },
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(port);
  const svc = (role: ServiceRole) => ({
    username: role,
    password: servicePassword(role, labSecret),
    clientId: `bench-${role}`,
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    publisher: svc('simulator'),
    subscriber: svc('processor'),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Plain aedes with our concurrency and no hooks: separates aedes' own cost from our policy's. */
async function startBareAedes(): Promise<Target> {
  const port = await freePort();
  const script = `import { Aedes } from 'aedes'; import { createServer } from 'node:net';
    const aedes = await Aedes.createBroker({ concurrency: ${BROKER_DEFAULTS.concurrency} });
    createServer((s) => { s.setNoDelay(true); aedes.handle(s); }).listen(${port}, '127.0.0.1');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(port);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    publisher: { clientId: 'bench-pub' },
    subscriber: { clientId: 'bench-sub' },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function startBaseline(): Promise<Target> {
  // Mosquitto's default max_queued_messages (1000) drops QoS1 messages for a subscriber that falls
  // behind; aedes never drops. A limit far above the run's size makes both lossless.
  const m = await startMosquitto({ config: ['max_queued_messages 1000000'] });
  return {
    url: m.url,
    pid: m.pid,
    publisher: { clientId: 'bench-pub' },
    subscriber: { clientId: 'bench-sub' },
    stop: m.stop,
  };
}

/** CPU seconds (user + system) a process has used, from /proc (Linux; clock ticks are 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Measured {
  /** Messages per wall-clock second, first publish to last delivery. */
  rate: number;
  /** Messages per CPU second of the broker process: far less sensitive to other load. */
  perCpuSecond: number;
  lost: number;
}

async function measure(
  target: Target,
  qos: 0 | 1,
  lampIds: string[],
  total: number = MESSAGES[qos],
): Promise<Measured> {
  const opts = { reconnectPeriod: 0, protocolVersion: 4 as const };
  const sub = await mqtt.connectAsync(target.url, { ...opts, ...target.subscriber });
  await sub.subscribeAsync('gadelys/v1/lamp/+/telemetry', { qos });
  const pub = await mqtt.connectAsync(target.url, { ...opts, ...target.publisher });
  const topicList = lampIds.map((id) => topics.telemetry(id));
  const payload = Buffer.from(
    JSON.stringify({
      lampId: lampIds[0],
      ts: Date.now(),
      seq: 0,
      level: 70,
      activePowerW: 31.5,
      activeEnergyKWh: 1234.56,
      supplyVoltageV: 231.2,
      supplyCurrentA: 0.14,
      powerFactor: 0.97,
      illuminanceLux: 3.2,
    }),
  );
  let received = 0;
  let lastAt = performance.now();
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  sub.on('message', () => {
    received++;
    lastAt = performance.now();
    if (received === total) resolveDone();
  });
  const cpuBefore = cpuSeconds(target.pid);
  const started = performance.now();
  let sent = 0;
  let outstanding = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (outstanding < WINDOW && sent < total) {
        const topic = topicList[sent % topicList.length]!;
        sent++;
        outstanding++;
        pub.publish(topic, payload, { qos }, (err) => {
          if (err) return reject(err);
          outstanding--;
          if (sent === total && outstanding === 0) resolve();
          else if (outstanding < WINDOW / 2) pump();
        });
      }
    };
    pump();
  });
  // QoS0 may lose messages under load; stop waiting once delivery has stalled.
  while (received < total && performance.now() - lastAt < STALL_MS) {
    await Promise.race([done, new Promise((r) => setTimeout(r, 100))]);
  }
  const rate = received / ((lastAt - started) / 1000);
  const cpu = cpuSeconds(target.pid) - cpuBefore;
  await Promise.all([sub.endAsync(), pub.endAsync()]);
  return { rate, perCpuSecond: received / Math.max(cpu, 0.01), lost: total - received };
}

export async function run(): Promise<BenchResult> {
  const lampIds = loadRegistry().lamps.map((l) => l.id);
  const names = ['ours', 'aedes', 'mosquitto'] as const;
  const starters = { ours: startOurBroker, aedes: startBareAedes, mosquitto: startBaseline };
  const best = Object.fromEntries(names.map((n) => [n, { 0: 0, 1: 0 }])) as Record<
    (typeof names)[number],
    Record<0 | 1, number>
  >;
  const cpu = Object.fromEntries(names.map((n) => [n, { 0: 0, 1: 0 }])) as typeof best;
  const lost = { ours: 0, aedes: 0, mosquitto: 0 };
  const rounds: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      const target = await starters[name]();
      try {
        await measure(target, 1, lampIds, WARMUP); // JIT warm-up of broker and clients, not counted
        for (const qos of [0, 1] as const) {
          const r = await measure(target, qos, lampIds);
          best[name][qos] = Math.max(best[name][qos], r.rate);
          cpu[name][qos] = Math.max(cpu[name][qos], r.perCpuSecond);
          lost[name] += r.lost;
          rounds.push(
            `round ${round + 1} ${name} QoS${qos}: ${Math.round(r.rate)} msg/s, ${Math.round(r.perCpuSecond)} msg per broker CPU-s, lost ${r.lost}`,
          );
        }
      } finally {
        await target.stop();
      }
    }
  }
  const ratio = (a: number, b: number) => Number((a / b).toFixed(3));
  const metrics: Record<string, number> = {
    messages_qos0: MESSAGES[0],
    messages_qos1: MESSAGES[1],
  };
  for (const name of names) {
    const label = name === 'aedes' ? 'bare_aedes' : name;
    for (const qos of [0, 1] as const) {
      metrics[`${label}_qos${qos}_msg_per_s`] = Math.round(best[name][qos]);
      metrics[`${label}_qos${qos}_msg_per_cpu_s`] = Math.round(cpu[name][qos]);
    }
    metrics[`${label}_lost`] = lost[name];
  }
  return {
    name: 'broker',
    metrics,
    ratios: {
      qos0_ours_vs_mosquitto: ratio(best.ours[0], best.mosquitto[0]),
      qos1_ours_vs_mosquitto: ratio(best.ours[1], best.mosquitto[1]),
      qos0_cpu_efficiency_ours_vs_mosquitto: ratio(cpu.ours[0], cpu.mosquitto[0]),
      qos1_cpu_efficiency_ours_vs_mosquitto: ratio(cpu.ours[1], cpu.mosquitto[1]),
      qos0_ours_vs_bare_aedes: ratio(best.ours[0], best.aedes[0]),
      qos1_ours_vs_bare_aedes: ratio(best.ours[1], best.aedes[1]),
    },
    notes: [
      'target: qos0/qos1 ours_vs_mosquitto >= 0.80 (wall-clock delivery rate)',
      'ours: services/broker/main.ts in its own process, simulator -> processor accounts, auth+ACL+metrics on',
      'bare aedes: aedes alone, same concurrency, no hooks: the cost of our policy is ours_vs_bare_aedes',
      'mosquitto 2.0.11: anonymous, no ACL (its cheapest configuration), max_queued_messages 1000000 (lossless like aedes)',
      `best of ${ROUNDS} alternating rounds after a ${WARMUP}-message warm-up; window ${WINDOW} publishes; 1 publisher, 1 subscriber (mqtt.js)`,
      ...rounds,
    ],
  };
}

/**
 * `npm run bench -- ingest`: readings/s end to end (publisher -> our broker -> processor ->
 * InfluxDB 1.6.7), per-lamp QoS1 messages and segment batches, each as a ratio to two baselines
 * measured in the same run: the raw broker delivery rate (one QoS1 subscriber that only counts)
 * and the raw InfluxDB write rate (5,000-line batches, 2 writers). Then the processor's peak RSS
 * through a store outage (BENCH_OUTAGE_S, default 60 s) and the replay rate after it.
 * Broker and processor run as their own processes, as in production.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { type ServiceRole, servicePassword } from '../shared/auth/serviceAccounts.ts';
import type { Telemetry } from '../shared/contract/telemetry.ts';
import { filters, topics } from '../shared/contract/topics.ts';
import { loadRegistry } from '../shared/registry/index.ts';
import { toLine } from '../shared/storage/schema.ts';
import { influxQuery, startInfluxd, type TestInfluxd } from '../test/helpers/influxd.ts';
import { freePort, waitForPort } from '../test/helpers/ports.ts';
import type { BenchResult } from './result.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PER_LAMP_MESSAGES = Number(process.env.BENCH_PER_LAMP ?? 150_000);
/**
 * Ticks of the whole route in the batched phase (280 readings a tick). 60 ticks (16,800
 * readings) took ~0.2 s at the target rate: the flush interval and the 100 ms poll dominated.
 */
const BATCH_TICKS = Number(process.env.BENCH_BATCH_TICKS ?? 1_000);
const OUTAGE_S = Number(process.env.BENCH_OUTAGE_S ?? 60);
const OUTAGE_READINGS_PER_S = Number(process.env.BENCH_OUTAGE_RATE ?? 10_000);
/**
 * Phases to run, comma-separated (default all): `per-lamp`, `batched`, `outage`. A skipped
 * phase skips its broker baseline too; the InfluxDB baseline always runs.
 */
const PHASES = new Set(
  (process.env.BENCH_PHASES ?? 'per-lamp,batched,outage').split(',').map((p) => p.trim()),
);
const INFLUX_LINES = 1_000_000;
/**
 * None: the processor bounds its own heap (main.ts runs it in a worker with a capped old
 * generation unless --max-old-space-size is given). Override with BENCH_PROCESSOR_NODE_OPTIONS.
 */
const PROCESSOR_NODE_OPTIONS = '';
/**
 * Extra node flags for the processor that NODE_OPTIONS refuses, e.g. profiling:
 * BENCH_PROCESSOR_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
 */
const PROCESSOR_ARGS = (process.env.BENCH_PROCESSOR_ARGS ?? '').split(/\s+/).filter(Boolean);
const WINDOW = 1_000;

const registry = loadRegistry();
const progress = (msg: string) => console.error(`  [ingest] ${msg}`);
const labSecret = randomBytes(16).toString('hex');
const svc = (role: ServiceRole, clientId = `bench-${role}`): IClientOptions => ({
  username: role,
  password: servicePassword(role, labSecret),
  clientId,
  protocolVersion: 4,
  reconnectPeriod: 0,
});

function spawnService(
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    cwd: ROOT,
    stdio: ['ignore', process.env.BENCH_CHILD_STDOUT ? 'inherit' : 'ignore', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
  });
  return { child, exited: new Promise((resolve) => child.once('exit', () => resolve())) };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

function reading(lampId: string, i: number, t0: number): Telemetry {
  return {
    lampId,
    seq: i,
    ts: t0 + i * 1000,
    targetLevel: 50,
    actualLevel: 50,
    activePower: 20 + (i % 10),
    activeEnergy: 100 + i / 1000,
    supplyVoltage: 230,
    supplyCurrent: 0.15,
    powerFactor: 0.9,
    operatingHours: 1000,
    switchOnCounter: 3,
    gearTemperature: 30,
  };
}

type Message = { topic: string; payload: Buffer };

/**
 * Every message of a run, serialised before the clock starts: lamps and segment controllers
 * encode their readings on their own hardware, so the publisher's JSON.stringify (~0.1 of a
 * core at these rates) is not part of what is measured, and not taken from the shared cores.
 */
function prebuild(total: number, message: (k: number) => { topic: string; payload: string }) {
  return Array.from({ length: total }, (_, k): Message => {
    const m = message(k);
    return { topic: m.topic, payload: Buffer.from(m.payload) };
  });
}

/** Publish at QoS1 with at most WINDOW outstanding. */
async function publishWindowed(client: MqttClient, messages: readonly Message[]) {
  const total = messages.length;
  let sent = 0;
  let acked = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (sent < total && sent - acked < WINDOW) {
        const m = messages[sent++]!;
        client.publish(m.topic, m.payload, { qos: 1 }, (err) => {
          if (err) return reject(err);
          acked++;
          if (acked === total) resolve();
          else pump();
        });
      }
    };
    pump();
  });
}

/**
 * Readings stored; with `from`, only the day from there on (each phase writes its own day, so a
 * poll scans that phase's points, not everything stored before it).
 */
async function stored(influxd: TestInfluxd, database: string, from?: number): Promise<number> {
  const where =
    from === undefined ? '' : ` WHERE time >= ${from}ms AND time < ${from + 86_400_000}ms`;
  const rows = await influxQuery(
    influxd.url,
    database,
    `SELECT count("activePower") FROM "telemetry"${where}`,
  ).catch(() => []);
  return Number(rows[0]?.values[0]?.[1] ?? 0);
}

/**
 * Readings the processor has stored: its `stored_records_total` for telemetry, counted when
 * InfluxDB answered 204 to the write (the point is then in InfluxDB's WAL and answers queries).
 * Cheap enough to poll every 10 ms, where a count() over the phase's points costs InfluxDB tens
 * of ms of the shared CPU per poll; each phase still checks count() afterwards.
 */
async function storedByProcessor(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const m = /^gadelys_processor_stored_records_total\{kind="telemetry"\} (\d+)/m.exec(text);
  return Number(m?.[1] ?? 0);
}

/** Set once the processor is spawned: a processor that died fails the run instead of a wait. */
let aborted = () => false;

async function until(check: () => Promise<boolean>, stepMs = 100, maxMs = 180_000): Promise<void> {
  const end = Date.now() + maxMs;
  while (!(await check())) {
    if (aborted()) throw new Error('the processor exited');
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

const lampIds = registry.lamps.map((l) => l.id);
const perLampMessage = (t0: number) => (k: number) => {
  const id = lampIds[k % lampIds.length]!;
  return {
    topic: topics.telemetry(id),
    payload: JSON.stringify(reading(id, Math.floor(k / lampIds.length), t0)),
  };
};
/** Batch k: segment k mod n at tick k div n, every lamp of the segment. */
const batchMessage = (t0: number) => (k: number) => {
  const seg = registry.segments[k % registry.segments.length]!;
  const tick = Math.floor(k / registry.segments.length);
  const readings = seg.lampIds.map((id) => reading(id, tick, t0));
  return {
    topic: topics.batch(seg.id),
    payload: JSON.stringify({
      segmentId: seg.id,
      controllerId: seg.controllerId,
      ts: t0 + tick * 1000,
      readings,
    }),
  };
};

/** Baseline 1: one QoS1 subscriber that only counts, on the same broker. */
async function rawBroker(
  url: string,
  total: number,
  message: (k: number) => { topic: string; payload: string },
  filter: string,
): Promise<number> {
  const sub = await mqtt.connectAsync(url, svc('processor', 'bench-raw-sub'));
  let got = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((r) => {
    done = r;
  });
  sub.on('message', () => {
    if (++got === total) done();
  });
  await sub.subscribeAsync(filter, { qos: 1 });
  const pub = await mqtt.connectAsync(url, svc('simulator', 'bench-raw-pub'));
  const messages = prebuild(total, message);
  const started = performance.now();
  await publishWindowed(pub, messages);
  await all;
  const rate = total / ((performance.now() - started) / 1000);
  await pub.endAsync();
  await sub.endAsync();
  return rate;
}

/** Baseline 2: raw line-protocol writes, 5,000-line batches, 2 concurrent writers. */
async function rawInflux(influxd: TestInfluxd): Promise<number> {
  const db = 'bench_raw';
  await fetch(`${influxd.url}/query`, {
    method: 'POST',
    body: new URLSearchParams({ q: `CREATE DATABASE "${db}"` }),
  });
  const lamps = registry.lamps;
  const t0 = Date.now() - 3_600_000;
  const batches: string[] = [];
  for (let b = 0; b < INFLUX_LINES / 5000; b++) {
    const lines: string[] = [];
    for (let k = 0; k < 5000; k++) {
      const n = b * 5000 + k;
      const lamp = lamps[n % lamps.length]!;
      const tags = {
        lampId: lamp.id,
        segmentId: lamp.segmentId,
        vendorId: 'v',
        modelId: lamp.modelId,
      };
      lines.push(
        toLine(
          'telemetry',
          { ...reading(lamp.id, Math.floor(n / lamps.length), t0), ...tags },
          t0 + n,
        )!,
      );
    }
    batches.push(lines.join('\n'));
  }
  let next = 0;
  const started = performance.now();
  const writer = async () => {
    while (next < batches.length) {
      const body = batches[next++]!;
      const res = await fetch(`${influxd.url}/write?db=${db}&precision=ms`, {
        method: 'POST',
        body,
      });
      if (res.status !== 204) throw new Error(`influx write ${res.status}`);
    }
  };
  await Promise.all([writer(), writer()]);
  return INFLUX_LINES / ((performance.now() - started) / 1000);
}

export async function run(): Promise<BenchResult> {
  const notes: string[] = [];
  const metrics: Record<string, number | string> = {};
  const influxd = await startInfluxd({ database: 'bench' });
  const port = await freePort();
  const broker = spawnService('services/broker/main.ts', {
    LAB_SECRET: labSecret,
    MQTT_PORT: String(port),
    BROKER_WS_ENABLED: 'false',
    BROKER_METRICS_PORT: '0',
    BROKER_DEVICE_PUBLISH_RATE: '0',
  });
  await waitForPort(port);
  const url = `mqtt://127.0.0.1:${port}`;
  const spool = mkdtempSync(join(tmpdir(), 'gadelys-bench-spool-'));
  let processor: ReturnType<typeof spawnService> | undefined;
  try {
    progress('baseline: raw broker delivery');
    const brokerRate = PHASES.has('per-lamp')
      ? await rawBroker(
          url,
          PER_LAMP_MESSAGES,
          perLampMessage(Date.now() - 3_600_000),
          filters.allTelemetry,
        )
      : Number.NaN;
    const batches = registry.segments.length * BATCH_TICKS;
    const brokerBatchRate = PHASES.has('batched')
      ? await rawBroker(url, batches, batchMessage(Date.now() - 3_600_000), filters.allBatches)
      : Number.NaN;
    progress('baseline: raw influx writes');
    const influxRate = await rawInflux(influxd);
    metrics['baseline broker QoS1 msg/s'] = Math.round(brokerRate);
    metrics['baseline broker QoS1 batch msg/s'] = Math.round(brokerBatchRate);
    metrics['baseline broker QoS1 readings/s in batches'] = Math.round(
      (brokerBatchRate * registry.lamps.length) / registry.segments.length,
    );
    metrics['baseline influx points/s'] = Math.round(influxRate);

    const metricsPort = await freePort();
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const processorEnv = {
      MQTT_URL: url,
      LAB_SECRET: labSecret,
      STORE: 'influxdb',
      INFLUX_URL: influxd.url,
      INFLUX_DATABASE: 'bench',
      SPOOL_DIR: spool,
      PROCESSOR_METRICS_PORT: String(metricsPort),
      PROCESSOR_CLIENT_ID: 'bench-processor',
    };
    processor = spawnService(
      'services/processor/main.ts',
      {
        ...processorEnv,
        NODE_OPTIONS: process.env.BENCH_PROCESSOR_NODE_OPTIONS ?? PROCESSOR_NODE_OPTIONS,
      },
      PROCESSOR_ARGS,
    );
    let processorGone = false;
    void processor.exited.then(() => {
      processorGone = true;
    });
    aborted = () => processorGone;
    const pid = processor.child.pid ?? 0;
    await new Promise((r) => setTimeout(r, 2_000)); // connected and subscribed
    const pub = await mqtt.connectAsync(url, svc('simulator', 'bench-pub'));
    let t0 = Date.now() - 3_600_000;
    let expected = 0;
    let peakRss = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, rssMb(pid));
    }, 250);

    let started = performance.now();
    let perLamp = Number.NaN;
    if (PHASES.has('per-lamp')) {
      progress('pipeline: per-lamp messages');
      // Per-lamp QoS1 messages: one reading each.
      const messages = prebuild(PER_LAMP_MESSAGES, perLampMessage(t0));
      const storedBefore = await storedByProcessor(metricsUrl);
      started = performance.now();
      await publishWindowed(pub, messages);
      expected += PER_LAMP_MESSAGES;
      const perLampT0 = t0;
      await until(
        async () => (await storedByProcessor(metricsUrl)) - storedBefore >= PER_LAMP_MESSAGES,
        10,
      );
      perLamp = PER_LAMP_MESSAGES / ((performance.now() - started) / 1000);
      await until(async () => (await stored(influxd, 'bench', perLampT0)) >= PER_LAMP_MESSAGES);
      metrics['per-lamp readings/s'] = Math.round(perLamp);
    }

    // Segment batches: every segment's lamps per tick, the real route's batch sizes. Each phase
    // has its own time range, within the contract's 7-day past limit.
    t0 -= 86_400_000;
    let batched = Number.NaN;
    if (PHASES.has('batched')) {
      progress('pipeline: segment batches');
      const batchReadings = registry.lamps.length * BATCH_TICKS;
      const messages = prebuild(batches, batchMessage(t0));
      const storedBefore = await storedByProcessor(metricsUrl);
      started = performance.now();
      await publishWindowed(pub, messages);
      const published = performance.now();
      expected += batchReadings;
      const batchT0 = t0;
      await until(
        async () => (await storedByProcessor(metricsUrl)) - storedBefore >= batchReadings,
        10,
      );
      const storedAt = performance.now();
      // Confirmed in InfluxDB itself (untimed): every reading of the phase is there.
      await until(async () => (await stored(influxd, 'bench', batchT0)) >= batchReadings);
      metrics['batched: publishing s / until stored s'] =
        `${((published - started) / 1000).toFixed(2)} / ${((storedAt - started) / 1000).toFixed(2)}`;
      batched = batchReadings / ((storedAt - started) / 1000);
      metrics['batched readings/s'] = Math.round(batched);
      metrics['readings per batch (mean)'] = Math.round(
        registry.lamps.length / registry.segments.length,
      );
    }
    metrics['processor RSS MB before outage'] = Math.round(peakRss);
    if (PHASES.has('outage')) {
      progress(`store outage: ${OUTAGE_S} s`);
      // Store outage: publish batches at a steady rate while influxd is down, then bring it back.
      peakRss = 0;
      await influxd.kill();
      t0 -= 2 * 86_400_000;
      const perSecond = Math.max(
        1,
        Math.round(OUTAGE_READINGS_PER_S / (registry.lamps.length / registry.segments.length)),
      );
      let outageReadings = 0;
      for (let s = 0; s < OUTAGE_S; s++) {
        const second = performance.now();
        const messages = prebuild(perSecond, (k) => {
          const seg = registry.segments[k % registry.segments.length]!;
          const tick = s * perSecond + k;
          outageReadings += seg.lampIds.length;
          return {
            topic: topics.batch(seg.id),
            payload: JSON.stringify({
              segmentId: seg.id,
              controllerId: seg.controllerId,
              ts: t0 + tick * 10,
              readings: seg.lampIds.map((id) => ({ ...reading(id, tick, t0), ts: t0 + tick * 10 })),
            }),
          };
        });
        await publishWindowed(pub, messages);
        const left = 1000 - (performance.now() - second);
        if (left > 0) await new Promise((r) => setTimeout(r, left));
      }
      expected += outageReadings;
      metrics['outage s'] = OUTAGE_S;
      metrics['outage readings'] = outageReadings;
      metrics['processor peak RSS MB during outage'] = Math.round(peakRss);
      progress('store back: replay');
      started = performance.now();
      await influxd.restart();
      await until(async () => (await stored(influxd, 'bench')) >= expected, 250);
      metrics['replay readings/s after outage'] = Math.round(
        outageReadings / ((performance.now() - started) / 1000),
      );
    }
    metrics['stored readings'] = await stored(influxd, 'bench');
    metrics['expected readings'] = expected;
    clearInterval(sampler);
    await pub.endAsync();

    const ratios = {
      'per-lamp / raw broker delivery': perLamp / brokerRate,
      'per-lamp / raw influx write': perLamp / influxRate,
      'batched / raw broker delivery of the same batches (readings/s)':
        batched / ((brokerBatchRate * registry.lamps.length) / registry.segments.length),
      'batched / raw influx write': batched / influxRate,
    };
    notes.push(
      `targets: ${[
        PHASES.has('per-lamp') &&
          `per-lamp >= 25,000 readings/s (${perLamp >= 25_000 ? 'met' : 'NOT met'})`,
        PHASES.has('batched') && `batched >= 100,000 (${batched >= 100_000 ? 'met' : 'NOT met'})`,
        PHASES.has('outage') &&
          `RSS <= 250 MB through the outage (${Number(metrics['processor peak RSS MB during outage']) <= 250 ? 'met' : 'NOT met'})`,
      ]
        .filter(Boolean)
        .join(', ')}`,
      `phases: ${[...PHASES].join(', ')}`,
      `${PER_LAMP_MESSAGES} per-lamp messages, ${batches} batches; 2 shared cores, so broker, processor, influxd and the publisher compete`,
      `processor NODE_OPTIONS: ${process.env.BENCH_PROCESSOR_NODE_OPTIONS ?? PROCESSOR_NODE_OPTIONS}`,
      'replay rate includes influxd restart and the writer backoff (up to PROCESSOR_RETRY_MAX_MS)',
    );
    return { name: 'ingest', metrics, ratios, notes };
  } finally {
    if (processor) {
      processor.child.kill('SIGTERM');
      await processor.exited;
    }
    broker.child.kill('SIGTERM');
    await broker.exited;
    await influxd.stop();
    rmSync(spool, { recursive: true, force: true });
  }
}

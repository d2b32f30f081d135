// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/**
 * Kill -9 under load, on the whole cluster: redis-server, two broker nodes (child processes)
 * behind a TCP balancer, two partitioned processors (child processes) writing to a real influxd,
 * two gateways (child processes, GATEWAY_CLUSTER_REDIS_URL) behind another balancer, every lamp
 * of the route on its own MQTT connection through the balancer publishing a reading a second,
 * acking every command, and a WebSocket client on the gateways. In turn: one broker node, one
 * processor and one gateway are SIGKILLed and started again. Then:
 * - every reading the broker acknowledged is stored, and none twice;
 * - every lamp that lost its node is connected again within 10 s;
 * - every command sent during the run ends (no `pending`) with acked = the lamps that acked it;
 * - the WebSocket client reconnects through the balancer and gets a new snapshot.
 * CLUSTER_KILL_SECONDS (default 24) sets how long the load runs; the faults fall in its thirds.
 *
 * Not green yet, so outside CI (test/cluster/load.config.ts runs it): a processor's persistent
 * session never gets its SUBACK from a cluster node (test/cluster/subscribeOnNode.ts), and lamps
 * took up to 30 s to return after their node's loss; docs/cluster.md has the figures.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { deriveDevicePassword } from '../../shared/auth/deviceCredentials.ts';
import { type CommandAck, LampCommand, topics } from '../../shared/contract/index.ts';
import { loadRegistry } from '../../shared/registry/index.ts';
import { type Started, startProcess } from '../ecosystem/processes.ts';
import { eventually } from '../helpers/eventually.ts';
import { influxQuery, startInfluxd, type TestInfluxd } from '../helpers/influxd.ts';
import { freePort } from '../helpers/ports.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { processorEnv, reading } from '../processor/harness.ts';
import { type ChildNode, startChildNode } from './nodes.ts';
import { startTcpBalancer, type TcpBalancer } from './tcpBalancer.ts';

const SECONDS = Number(process.env.CLUSTER_KILL_SECONDS ?? '24');
/** `none`: the same run without faults, the control. */
const FAULTS = process.env.CLUSTER_KILL_FAULTS ?? 'all';
const root = new URL('../..', import.meta.url).pathname;
const labSecret = randomBytes(16).toString('hex');
const registry = loadRegistry();
const PASSWORD = 'correct horse battery staple';
const BROKER_ENV = {
  BROKER_DEVICE_PUBLISH_RATE: '0',
  BROKER_SERVICE_PUBLISH_RATE: '0',
  BROKER_MAX_CONNECTIONS_PER_ADDRESS: '100000',
  BROKER_CONNECT_RATE_PER_ADDRESS: '100000',
  BROKER_CONNECT_BURST_PER_ADDRESS: '100000',
};

let redis: TestRedis;
let influxd: TestInfluxd;
let mqttLb: TcpBalancer;
let httpLb: TcpBalancer;
const brokers: (ChildNode & { port: number })[] = [];
const processors: { env: Record<string, string>; proc: Started }[] = [];
const gateways: { env: Record<string, string>; proc: Started; port: number }[] = [];
const dirs: string[] = [];

const portOf = (url: string) => Number(new URL(url).port);

async function startBrokerNode(nodeId: string) {
  const node = await startChildNode(redis.url, nodeId, labSecret, BROKER_ENV);
  return { ...node, port: portOf(node.url) };
}

function startService(entry: string, env: Record<string, string>): Started {
  return startProcess(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
  });
}

/**
 * The processor gives up its start when the broker has not answered its CONNECT within 15 s,
 * which a resumed persistent session (thousands of subscriptions restored from Redis) can take on
 * a loaded machine (docs/cluster.md, open questions). Here the test is the supervisor (systemd's
 * Restart=on-failure): a start that fails is started again, at most three times.
 */
async function startProcessorProc(env: Record<string, string>): Promise<Started> {
  for (let attempt = 1; ; attempt++) {
    const proc = startService('services/processor/main.ts', env);
    starting.push(proc);
    try {
      const [, health] = await proc.waitFor(/processor health\s+(\S+)/, 'the processor banner');
      // Ready once the broker granted every filter of its partition: what is published for a
      // partition nobody has subscribed yet is not queued anywhere.
      await eventually(
        'the processor subscribed',
        async () => (await fetch(health!)).status === 200,
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      return proc;
    } catch (err) {
      await proc.stop();
      if (attempt >= 3) throw err;
      processorRestarts++;
    }
  }
}
let processorRestarts = 0;
const starting: Started[] = [];

async function startGatewayProc(env: Record<string, string>): Promise<Started> {
  const proc = startService('services/gateway/main.ts', env);
  await proc.waitFor(/gateway listening|gadelys gateway/, 'the gateway banner');
  return proc;
}

beforeAll(async () => {
  [redis, influxd] = await Promise.all([startRedis(), startInfluxd()]);
  brokers.push(await startBrokerNode('node-1'), await startBrokerNode('node-2'));
  mqttLb = await startTcpBalancer(brokers.map((b) => b.port));
  const mqttUrl = mqttLb.url('mqtt');
  const store = {
    STORE: 'influxdb',
    INFLUX_URL: influxd.url,
    INFLUX_DATABASE: influxd.database,
  };
  for (let i = 1; i <= 2; i++) {
    const env = processorEnv(
      { url: mqttUrl, labSecret },
      {
        ...store,
        PROCESSOR_PARTITION: `${i}/2`,
        PROCESSOR_PARTITION_PLAN: '1/2;2/2',
        PROCESSOR_CLIENT_ID: `processor-p${i}-${process.pid}`,
        LOG_LEVEL: 'warn',
      },
    );
    dirs.push(env.SPOOL_DIR!);
    processors.push({ env, proc: await startProcessorProc(env) });
  }
  for (const nodeId of ['gw-a', 'gw-b']) {
    const dataDir = await mkdtemp(join(tmpdir(), `gadelys-${nodeId}-`));
    dirs.push(dataDir);
    const port = await freePort();
    const env = {
      ...store,
      LAB_SECRET: labSecret,
      MQTT_URL: mqttUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      GATEWAY_DATA_DIR: dataDir,
      GATEWAY_CLUSTER_REDIS_URL: redis.url,
      GATEWAY_NODE_ID: nodeId,
      GATEWAY_COMMAND_TIMEOUT_MS: '1500',
      GATEWAY_COMMAND_RETRIES: '1',
      GATEWAY_COMMANDS_PER_MINUTE: '1000',
      LOG_LEVEL: 'warn',
    };
    gateways.push({ env, port, proc: await startGatewayProc(env) });
  }
  httpLb = await startTcpBalancer(gateways.map((g) => g.port));
}, 280_000);

afterAll(async () => {
  if (process.env.CLUSTER_KILL_DUMP)
    writeFileSync(
      process.env.CLUSTER_KILL_DUMP,
      [
        ...starting.map((p, i) => `--- processor start ${i}\n${p.output().slice(-6000)}`),
        ...gateways.map((g, i) => `--- gateway ${i}\n${g.proc.output().slice(-6000)}`),
        ...brokers.map((b, i) => `--- broker ${i}\n${b.output().slice(-4000)}`),
      ].join('\n'),
    );
  for (const l of lamps) l.client.end(true);
  ws?.close();
  await Promise.all([
    ...gateways.map((g) => g.proc.stop()),
    ...processors.map((p) => p.proc.stop()),
  ]);
  await Promise.all(brokers.map((b) => b.kill()));
  await mqttLb?.close();
  await httpLb?.close();
  await influxd?.stop();
  await redis?.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
}, 60_000);

interface Lamp {
  id: string;
  client: MqttClient;
  /** Device timestamps of readings the broker acknowledged. */
  acked: Set<number>;
  published: number;
  connects: number[];
  closes: number[];
  /** commandId of every command this lamp acked. */
  ackedCommands: Set<string>;
}
const lamps: Lamp[] = [];
let ws: WebSocket | undefined;

function startLamp(id: string): Lamp {
  const client = mqtt.connect(mqttLb.url('mqtt'), {
    clientId: id,
    username: id,
    password: deriveDevicePassword(labSecret, id),
    protocolVersion: 4,
    clean: false,
    reconnectPeriod: 500,
    connectTimeout: 5_000,
  });
  const lamp: Lamp = {
    id,
    client,
    acked: new Set(),
    published: 0,
    connects: [],
    closes: [],
    ackedCommands: new Set(),
  };
  client.on('error', () => undefined);
  client.on('connect', (connack) => {
    lamp.connects.push(Date.now());
    if (!connack.sessionPresent) client.subscribe(topics.command(id), { qos: 1 });
  });
  client.on('close', () => lamp.closes.push(Date.now()));
  client.on('message', (_t, payload) => {
    const cmd = LampCommand.safeParse(JSON.parse(payload.toString()));
    if (!cmd.success) return;
    const ack: CommandAck = {
      commandId: cmd.data.commandId,
      lampId: id,
      ts: Date.now(),
      status: 'accepted',
    };
    if (cmd.data.type === 'override') ack.actualLevel = cmd.data.level;
    client.publish(topics.ack(id), JSON.stringify(ack), { qos: 1 }, (err) => {
      if (!err) lamp.ackedCommands.add(cmd.data.commandId);
    });
  });
  return lamp;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api(method: string, path: string, token?: string, body?: unknown) {
  // Through the balancer; a request cut by a killed gateway is tried again, as a client does.
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${httpLb.url('http')}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, json: (await res.json()) as any };
    } catch (err) {
      if (attempt >= 5) throw err;
      await sleep(300);
    }
  }
}

it(`loses no reading and finishes every command while a broker node, a processor and a gateway are killed in turn (${SECONDS} s)`, async () => {
  // The first gateway printed the one-time secret (both did; the first one used wins).
  const secret = (
    await gateways[0]!.proc.waitFor(/secret=([A-Za-z0-9_-]+)/, 'the bootstrap secret')
  )[1]!;
  const boot = await fetch(`http://127.0.0.1:${gateways[0]!.port}/api/auth/bootstrap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret, username: 'admin', password: PASSWORD }),
  });
  expect(boot.status).toBe(201);
  const token = (
    await api('POST', '/api/auth/login', undefined, { username: 'admin', password: PASSWORD })
  ).json.token as string;

  for (const l of registry.lamps) lamps.push(startLamp(l.id));
  await eventually('every lamp connected', () => lamps.every((l) => l.connects.length > 0), {
    timeoutMs: 60_000,
  });

  // A WebSocket client that reconnects through the balancer and subscribes again each time.
  const snapshots: number[] = [];
  let deltas = 0;
  let stopping = false;
  const openWs = () => {
    const sock = new WebSocket(httpLb.url('ws') + '/ws', {
      perMessageDeflate: false,
      headers: { authorization: `Bearer ${token}` },
    });
    ws = sock;
    sock.on('open', () => sock.send(JSON.stringify({ type: 'subscribe', all: true })));
    sock.on('message', (data) => {
      const f = JSON.parse(data.toString());
      if (f.type === 'snapshot') snapshots.push(Date.now());
      if (f.type === 'delta') deltas++;
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (!stopping) setTimeout(openWs, 500);
    });
  };
  openWs();
  await eventually('the first snapshot', () => snapshots.length > 0);

  // Load: one reading a second per lamp, device timestamps unique per lamp.
  const t0 = Date.now();
  let tick = 0;
  const load = setInterval(() => {
    tick++;
    for (const l of lamps) {
      const r = { ...reading(l.id, tick, t0), ts: t0 + tick * 1000 };
      l.published++;
      l.client.publish(topics.telemetry(l.id), JSON.stringify(r), { qos: 1 }, (err) => {
        if (!err) l.acked.add(r.ts);
      });
    }
  }, 1000);

  // Commands every 2 s to one segment in turn, through the gateway balancer.
  const commands: string[] = [];
  let commanding = true;
  const commandLoop = (async () => {
    let i = 0;
    while (commanding) {
      const seg = registry.segments[i++ % registry.segments.length]!;
      const r = await api('POST', '/api/commands', token, {
        target: { kind: 'segment', segmentId: seg.id },
        action: { type: 'override', level: 10 + (i % 80) },
      }).catch(() => undefined);
      if (r?.status === 202) commands.push(r.json.command.commandId);
      await sleep(2_000);
    }
  })();

  const third = (SECONDS * 1000) / 3;
  const faults: { what: string; at: number; lampsLost: Lamp[] }[] = [];
  // 1. A broker node: its lamps are cut and reconnect through the balancer to the other.
  await sleep(third / 2);
  const lost = brokers[0]!;
  const onLost = new Set<Lamp>();
  const killAt = Date.now();
  if (FAULTS !== 'none') {
    await lost.kill();
    mqttLb.setBackends([brokers[1]!.port]);
  }
  await sleep(1_000);
  for (const l of lamps) if (l.closes.some((c) => c >= killAt)) onLost.add(l);
  faults.push({ what: 'broker node-1', at: killAt, lampsLost: [...onLost] });
  if (FAULTS !== 'none') {
    brokers[0] = await startBrokerNode('node-1b');
    mqttLb.setBackends(brokers.map((b) => b.port));
  }

  // 2. A processor: its partition waits in its persistent session until it is back.
  await sleep(third / 2);
  const p0 = processors[0]!;
  faults.push({ what: 'processor 1/2', at: Date.now(), lampsLost: [] });
  if (FAULTS !== 'none') {
    p0.proc.child.kill('SIGKILL');
    await sleep(1_000);
    p0.proc = await startProcessorProc(p0.env);
  }

  // 3. A gateway: its WebSocket client reconnects to the other; its commands are finished there.
  await sleep(third / 2);
  const g0 = gateways[0]!;
  const gwKilledAt = Date.now();
  faults.push({ what: 'gateway gw-a', at: gwKilledAt, lampsLost: [] });
  if (FAULTS !== 'none') {
    g0.proc.child.kill('SIGKILL');
    await sleep(1_000);
    g0.proc = await startGatewayProc(g0.env);
  }

  await sleep(third / 2);
  clearInterval(load);
  commanding = false;
  await commandLoop;

  // Every lamp that lost its node came back within 10 s.
  const back = faults[0]!.lampsLost.map((l) => {
    const again = l.connects.find((c) => c > killAt);
    return again === undefined ? Number.POSITIVE_INFINITY : again - killAt;
  });
  back.sort((x, y) => x - y);

  // Every acknowledged reading stored once.
  await eventually(
    'every in-flight publish settled',
    () => (lamps.every((l) => l.acked.size === l.published) ? true : undefined),
    { timeoutMs: 60_000 },
  );
  const acked = lamps.reduce((n, l) => n + l.acked.size, 0);
  const readStored = async () => {
    const byLamp = new Map<string, number[]>();
    const series = await influxQuery(
      influxd.url,
      influxd.database,
      `SELECT "seq" FROM "telemetry" WHERE time >= ${t0}ms GROUP BY "lampId"`,
    );
    let total = 0;
    for (const s of series) {
      byLamp.set(
        s.tags?.lampId ?? '',
        s.values.map((v) => Number(v[1])),
      );
      total += s.values.length;
    }
    return { byLamp, total };
  };
  // Bounded: the store catches up (a restarted processor replays its spool), or the count is
  // taken as it is and the losses are named below.
  let stored = await readStored();
  for (let i = 0; i < 60 && stored.total < acked; i++) {
    await sleep(1_000);
    stored = await readStored();
  }
  let lostReadings = 0;
  const lostAt: number[] = [];
  let duplicated = 0;
  for (const l of lamps) {
    const seqs = stored.byLamp.get(l.id) ?? [];
    const seen = new Set(seqs);
    duplicated += seqs.length - seen.size;
    for (const ts of l.acked) {
      if (seen.has((ts - t0) / 1000)) continue;
      lostReadings++;
      lostAt.push(ts - t0);
    }
  }
  lostAt.sort((x, y) => x - y);
  const summary = {
    seconds: SECONDS,
    lamps: lamps.length,
    published: lamps.reduce((n, l) => n + l.published, 0),
    acked,
    stored: stored.total,
    lost: lostReadings,
    duplicated,
    lampsOnLostNode: faults[0]!.lampsLost.length,
    backMs: {
      p50: back[Math.floor(back.length / 2)],
      p90: back[Math.floor(back.length * 0.9)],
      max: back.at(-1),
    },
    commands: commands.length,
    snapshots: snapshots.length,
    deltas,
    processorRestarts,
    // stored readings per 5 s of the run (280 lamps x 5 = 1,400 expected in each)
    storedPer5s: (() => {
      const buckets: number[] = [];
      for (const seqs of stored.byLamp.values())
        for (const q of seqs) buckets[Math.floor(q / 5)] = (buckets[Math.floor(q / 5)] ?? 0) + 1;
      return Array.from(buckets, (b) => b ?? 0);
    })(),
    faultsAtMs: faults.map((f) => `${f.what}@${f.at - t0}`),
    lostAtMs: lostAt.length > 0 ? [lostAt[0], lostAt.at(-1)] : [],
    lostByLamp: new Set(
      lamps
        .filter((l) =>
          [...l.acked].some((ts) => !(stored.byLamp.get(l.id) ?? []).includes((ts - t0) / 1000)),
        )
        .map((l) => l.id),
    ).size,
  };
  console.log(`cluster kill under load: ${JSON.stringify(summary)}`);
  expect(faults[0]!.lampsLost.length).toBeGreaterThan(registry.lamps.length / 4);
  expect(back.at(-1)).toBeLessThan(10_000);
  expect(lostReadings).toBe(0);
  expect(duplicated).toBe(0);
  expect(stored.total).toBe(acked);

  // Every command finished, with acked = the lamps that acked it.
  expect(commands.length).toBeGreaterThan(SECONDS / 4);
  for (const id of commands) {
    const done = await eventually(
      `command ${id} finished with its lamps' acks`,
      async () => {
        const r = await api('GET', `/api/commands/${id}`, token);
        const c = r.json?.command;
        if (!c || c.status === 'pending') return undefined;
        const ackedBy = lamps.filter((l) => l.ackedCommands.has(id)).length;
        return c.counts.acked === ackedBy ? c : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(done.counts.acked + done.counts.timedOut + done.counts.rejected).toBe(done.lampCount);
  }

  // The WebSocket client was cut with its gateway and came back with a new snapshot.
  expect(snapshots.some((t) => t > gwKilledAt)).toBe(true);
  stopping = true;
}, 300_000);

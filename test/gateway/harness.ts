// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/**
 * A real gateway for tests: our broker (aedes with auth), the gateway on port 0 with a temp data
 * dir, optionally an embedded DuckDB store, and one user per role. Lamps are mqtt.js clients
 * with derived device credentials that answer commands themselves.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Role } from '../../services/gateway/auth/roles.ts';
import { loadGatewayConfig } from '../../services/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../services/gateway/server.ts';
import {
  type CommandAck,
  LampCommand,
  type Telemetry,
  topics,
} from '../../shared/contract/index.ts';
import { silentLogger } from '../../shared/log.ts';
import type { Registry } from '../../shared/registry/index.ts';
import { createDuckdbStore } from '../../shared/storage/duckdb/duckdbStore.ts';
import type { Store } from '../../shared/storage/port.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';

export const PASSWORD = 'correct horse battery staple';
/** A vendor with lamps on the route, and another one, for isolation tests. */
export const VENDOR_A = 'nordlys';

export interface Harness {
  broker: TestBroker;
  gateway: RunningGateway;
  base: string;
  wsUrl: string;
  dataDir: string;
  tokens: Record<Role, string>;
  store?: Store;
  api(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; raw?: string },
  ): Promise<{ status: number; json: any; text: string; headers: Headers }>;
  stop(): Promise<void>;
}

/**
 * A broker and a gateway with a user of each role. `store: 'memory'`: an in-memory DuckDB store
 * the harness opens and closes; a Store: the caller's.
 */
export async function startHarness(
  opts: {
    env?: Record<string, string>;
    store?: Store | 'memory';
    registry?: Registry;
    /** The gateway's clock (scheduled reports, report windows); the wall clock when absent. */
    now?: () => number;
  } = {},
): Promise<Harness> {
  const ownStore =
    opts.store === 'memory' ? await createDuckdbStore({ path: ':memory:' }) : undefined;
  const store = ownStore ?? (opts.store === 'memory' ? undefined : opts.store);
  const broker = await startTestBroker({
    env: { BROKER_DEVICE_PUBLISH_RATE: '0', BROKER_SERVICE_PUBLISH_RATE: '0' },
    ...(opts.registry ? { registry: opts.registry } : {}),
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'gadelys-gw-'));
  const config = loadGatewayConfig({
    PORT: '0',
    MQTT_URL: broker.url,
    GATEWAY_DATA_DIR: dataDir,
    GATEWAY_COMMAND_TIMEOUT_MS: '400',
    GATEWAY_COMMAND_RETRIES: '1',
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const gateway = await startGateway(config, {
    registry: broker.registry,
    log: silentLogger,
    labSecret: broker.labSecret,
    announce: () => undefined,
    ...(store ? { store } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  const base = `http://127.0.0.1:${gateway.port}`;
  const api: Harness['api'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = {};
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, body });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers };
  };
  const secret = gateway.bootstrapSecret!;
  const boot = await api('POST', '/api/auth/bootstrap', {
    body: { secret, username: 'admin', password: PASSWORD },
  });
  if (boot.status !== 201) throw new Error(`bootstrap failed: ${boot.text}`);
  const login = async (username: string) => {
    const r = await api('POST', '/api/auth/login', { body: { username, password: PASSWORD } });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.text}`);
    return r.json.token as string;
  };
  const admin = await login('admin');
  const users: [string, Role, string?][] = [
    ['viewer', 'viewer'],
    ['vendor', 'vendor', VENDOR_A],
    ['operator', 'operator'],
  ];
  const tokens = { admin } as Record<Role, string>;
  for (const [username, role, vendorId] of users) {
    const r = await api('POST', '/api/users', {
      token: admin,
      body: { username, password: PASSWORD, role, vendorId },
    });
    if (r.status !== 201) throw new Error(`create ${username}: ${r.text}`);
    // API tokens, not sessions: they do not count against the login rate limit.
    const t = await api('POST', '/api/tokens', {
      token: admin,
      body: { name: `${username} test`, username },
    });
    tokens[role] = t.json.token;
  }
  return {
    broker,
    gateway,
    base,
    wsUrl: `ws://127.0.0.1:${gateway.port}/ws`,
    dataDir,
    tokens,
    ...(store ? { store } : {}),
    api,
    async stop() {
      await gateway.stop();
      await broker.stop();
      await ownStore?.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestLamp {
  id: string;
  client: MqttClient;
  received: LampCommand[];
  publishTelemetry(partial?: Partial<Telemetry>): Promise<void>;
  stop(): Promise<void>;
}

let seq = 0;
export function reading(lampId: string, partial: Partial<Telemetry> = {}): Telemetry {
  return {
    lampId,
    seq: seq++,
    ts: Date.now(),
    targetLevel: 50,
    actualLevel: 50,
    activePower: 20,
    activeEnergy: 100,
    supplyVoltage: 230,
    supplyCurrent: 0.1,
    powerFactor: 0.95,
    operatingHours: 1000,
    switchOnCounter: 10,
    gearTemperature: 25,
    ...partial,
  };
}

/** A lamp that acks every command it gets (accepted), unless `answer` is false. */
export async function startLamp(h: Harness, id: string, answer = true): Promise<TestLamp> {
  const client = await mqtt.connectAsync(h.broker.url, {
    ...h.broker.credentialsFor(id),
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  const received: LampCommand[] = [];
  client.on('message', (_topic, payload) => {
    const cmd = LampCommand.safeParse(JSON.parse(payload.toString()));
    if (!cmd.success) return;
    received.push(cmd.data);
    if (!answer) return;
    const ack: CommandAck = {
      commandId: cmd.data.commandId,
      lampId: id,
      ts: Date.now(),
      status: 'accepted',
    };
    if (cmd.data.type === 'override') ack.actualLevel = cmd.data.level;
    client.publish(topics.ack(id), JSON.stringify(ack), { qos: 1 });
  });
  await client.subscribeAsync(topics.command(id), { qos: 1 });
  return {
    id,
    client,
    received,
    publishTelemetry: async (partial = {}) => {
      await client.publishAsync(topics.telemetry(id), JSON.stringify(reading(id, partial)), {
        qos: 1,
      });
    },
    stop: () => client.endAsync(),
  };
}

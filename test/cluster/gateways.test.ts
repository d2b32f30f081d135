// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/**
 * Two gateways behind one (imagined) load balancer share their state through a real
 * redis-server (GATEWAY_CLUSTER_REDIS_URL), beside our broker and a processor that stores acks:
 * a command issued on A is read, acked and pushed on B; a session opened on A is valid on B and
 * its revocation refuses on B; the lockout and the command limit count the requests of both; the
 * deadline of a command is claimed once (one resend, not one per gateway), and by B when A is
 * gone; GET /api/audit on B shows what A wrote.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningProcessor, startProcessor } from '../../services/processor/processor.ts';
import { silentLogger } from '../../shared/log.ts';
import { createDuckdbStore } from '../../shared/storage/duckdb/duckdbStore.ts';
import type { Store } from '../../shared/storage/port.ts';
import { type Harness, PASSWORD, startLamp, type TestLamp } from '../gateway/harness.ts';
import { connectWs } from '../gateway/wsClient.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { processorConfig, processorEnv } from '../processor/harness.ts';
import { type GatewayNode, startGatewayNode } from './gatewayNodes.ts';

const LOCKOUT_FAILURES = 4;
const COMMANDS_PER_MINUTE = 6;
const LOGINS_PER_MINUTE = 6;
let redis: TestRedis;
let broker: TestBroker;
let store: Store;
let processor: RunningProcessor;
let spool = '';
let a: GatewayNode;
let b: GatewayNode;
let c: GatewayNode | undefined;
const lamps: TestLamp[] = [];
let admin = '';
let operator = '';

beforeAll(async () => {
  [redis, broker, store] = await Promise.all([
    startRedis(),
    startTestBroker({ env: { BROKER_DEVICE_PUBLISH_RATE: '0', BROKER_SERVICE_PUBLISH_RATE: '0' } }),
    createDuckdbStore({ path: ':memory:' }),
  ]);
  const env = processorEnv(broker);
  spool = env.SPOOL_DIR!;
  processor = await startProcessor(processorConfig(env), {
    registry: broker.registry,
    log: silentLogger,
    store,
  });
  const env2 = {
    GATEWAY_LOGIN_LOCKOUT_FAILURES: String(LOCKOUT_FAILURES),
    GATEWAY_COMMANDS_PER_MINUTE: String(COMMANDS_PER_MINUTE),
    GATEWAY_LOGIN_PER_MINUTE: String(LOGINS_PER_MINUTE),
  };
  const node = (nodeId: string) =>
    startGatewayNode({ nodeId, broker, redisUrl: redis.url, store, env: env2 });
  [a, b] = await Promise.all([node('gw-a'), node('gw-b')]);
  // Both started before any admin existed: each printed a secret, the first one used wins.
  const boot = await a.api('POST', '/api/auth/bootstrap', {
    body: { secret: a.gateway.bootstrapSecret, username: 'admin', password: PASSWORD },
  });
  expect(boot.status, boot.text).toBe(201);
  const again = await b.api('POST', '/api/auth/bootstrap', {
    body: { secret: b.gateway.bootstrapSecret, username: 'admin2', password: PASSWORD },
  });
  expect(again.status, again.text).toBe(409);
  admin = (await login(a, 'admin')).json.token;
  for (const username of ['operator', 'limited']) {
    const r = await a.api('POST', '/api/users', {
      token: admin,
      body: { username, password: PASSWORD, role: 'operator' },
    });
    expect(r.status, r.text).toBe(201);
  }
  // Created on A, signed in on B.
  operator = (await login(b, 'operator')).json.token;
  await eventually('the processor subscribed', () => processor.status().subscribed);
}, 60_000);

afterAll(async () => {
  for (const l of lamps) await l.stop();
  for (const g of [a, b, c]) await g?.stop().catch(() => undefined);
  await processor?.stop();
  await broker?.stop();
  await store?.close();
  await redis?.stop();
  if (spool) await rm(spool, { recursive: true, force: true });
});

// Each caller its own address (X-Forwarded-For), so that the login limit per address counts
// one test's logins only.
let nextIp = 1;
const anotherIp = () => `10.0.0.${nextIp++}`;
function login(g: GatewayNode, username: string, password = PASSWORD, ip = anotherIp()) {
  return g.api('POST', '/api/auth/login', { body: { username, password }, ip });
}

const lampHost = () => ({ broker }) as Harness;

async function finished(g: GatewayNode, commandId: string) {
  return eventually(`command ${commandId} to finish on ${g.nodeId}`, async () => {
    const s = await g.api('GET', `/api/commands/${commandId}`, { token: admin });
    return s.json?.command?.status !== 'pending' ? s.json : undefined;
  });
}

it('a session opened on A is valid on B, and a logout on A refuses it on B at once', async () => {
  const session = (await login(a, 'operator')).json.token as string;
  expect((await b.api('GET', '/api/auth/me', { token: session })).status).toBe(200);
  const ws = await connectWs(b.wsUrl, session);
  await ws.close();
  expect((await a.api('POST', '/api/auth/logout', { token: session })).status).toBe(200);
  // No wait: B reads the token from Redis on every request.
  const after = await b.api('GET', '/api/auth/me', { token: session });
  expect(after.status).toBe(401);
  await expect(connectWs(b.wsUrl, session)).rejects.toMatchObject({ status: 401 });
});

it('wrong passwords on both gateways add up to one lockout', async () => {
  const r = await a.api('POST', '/api/users', {
    token: admin,
    body: { username: 'victim', password: PASSWORD, role: 'viewer' },
  });
  expect(r.status, r.text).toBe(201);
  // Half the failures on each: per gateway neither would lock.
  for (let i = 0; i < LOCKOUT_FAILURES; i++) {
    const wrong = await login(
      i % 2 === 0 ? a : b,
      'victim',
      'wrong password, guessed',
      anotherIp(),
    );
    expect(wrong.status).toBe(401);
  }
  const right = await login(a, 'victim');
  expect(right.status, right.text).toBe(429);
  expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
  expect((await login(b, 'victim')).status).toBe(429);
});

it('the login limit of an address is one budget for both gateways', async () => {
  const ip = anotherIp();
  const statuses: number[] = [];
  for (let i = 0; i < LOGINS_PER_MINUTE + 2; i++)
    statuses.push((await login(i % 2 === 0 ? a : b, 'operator', PASSWORD, ip)).status);
  expect(statuses).toEqual([...Array.from({ length: LOGINS_PER_MINUTE }, () => 200), 429, 429]);
});

it('the command limit of a user is one budget for both gateways', async () => {
  const token = (await login(a, 'limited')).json.token as string;
  const lampId = broker.registry.lamps[0]!.id;
  const statuses: number[] = [];
  for (let i = 0; i < COMMANDS_PER_MINUTE + 2; i++) {
    const r = await (i % 2 === 0 ? a : b).api('POST', '/api/commands', {
      token,
      body: { target: { kind: 'lamp', lampId }, action: { type: 'override', level: 20 } },
    });
    statuses.push(r.status);
  }
  expect(statuses.filter((s) => s === 202)).toHaveLength(COMMANDS_PER_MINUTE);
  expect(statuses.slice(COMMANDS_PER_MINUTE)).toEqual([429, 429]);
});

it('a command issued on A is read on B, its acks pushed to a WebSocket on B, its one resend claimed once', async () => {
  const segment = broker.registry.segments[0]!;
  const alive = segment.lampIds.slice(0, 3);
  const dead = segment.lampIds.slice(3, 4);
  for (const id of alive) lamps.push(await startLamp(lampHost(), id));
  const silent = await startLamp(lampHost(), dead[0]!, false);
  lamps.push(silent);
  const ws = await connectWs(b.wsUrl, operator);
  ws.send({ type: 'subscribe', lamps: [], commands: true });
  await ws.next((f) => f.type === 'snapshot', 'snapshot');

  const sent = await a.api('POST', '/api/commands', {
    token: operator,
    body: {
      target: { kind: 'lamps', lampIds: [...alive, ...dead] },
      action: { type: 'override', level: 35 },
    },
  });
  expect(sent.status, sent.text).toBe(202);
  const id = sent.json.command.commandId as string;
  // B knows the command at once: it is in Redis before it is published to the lamps.
  const onB = await b.api('GET', `/api/commands/${id}`, { token: operator });
  expect(onB.status, onB.text).toBe(200);
  expect(onB.json.command.lampCount).toBe(4);

  const done = await finished(b, id);
  expect(done.command.status).toBe('partial');
  expect(done.command.counts).toEqual({ pending: 0, acked: 3, rejected: 0, timedOut: 1 });
  for (const l of done.lamps) {
    if (dead.includes(l.lampId)) expect(l).toMatchObject({ state: 'timedOut', attempts: 2 });
    else expect(l).toMatchObject({ state: 'acked', attempts: 1, actualLevel: 35 });
  }
  // One resend for the cluster, not one per gateway: the silent lamp got exactly two copies.
  expect(silent.received.filter((m) => m.commandId === id)).toHaveLength(2);
  // The same answer on A; the listing of B has it too.
  expect((await finished(a, id)).command).toEqual(done.command);
  const listed = await b.api('GET', '/api/commands?limit=5', { token: operator });
  expect(listed.json.commands.map((x: any) => x.commandId)).toContain(id);
  // The WebSocket on B saw the acks arrive and the completion.
  const final = await ws.next(
    (f) => f.type === 'command' && f.command.commandId === id && f.command.status === 'partial',
    'the completed command on B',
  );
  expect(final.command.counts.acked).toBe(3);
  expect(
    ws.frames.some(
      (f) => f.type === 'command' && f.command.commandId === id && f.command.status === 'pending',
    ),
  ).toBe(true);
  await ws.close();
  // The processor stored each lamp's ack once.
  const acks = await eventually('the acks stored', async () => {
    const got = await store.acks({
      from: Date.now() - 60_000,
      to: Date.now() + 60_000,
      lampIds: alive,
    });
    const mine = got.filter((x) => x.commandId === id);
    return mine.length >= 3 ? mine : undefined;
  });
  expect(acks).toHaveLength(3);

  // The audit trail on B holds what A wrote (issued) and the completion, once (written by the
  // gateway that completed it, just after the state changed).
  const actions = await eventually('the completion in the audit trail on B', async () => {
    const audit = await b.api('GET', `/api/audit?subject=${id}`, { token: admin });
    const all: string[] = audit.json.entries.map((e: any) => `${e.action}@${e.node}`);
    return all.some((x) => x.startsWith('command.completed')) ? all : undefined;
  });
  expect(actions.filter((x: string) => x.startsWith('command.completed'))).toHaveLength(1);
  expect(actions).toContain('command.issued@gw-a');
});

it('a command whose gateway is gone is finished by another', async () => {
  c = await startGatewayNode({ nodeId: 'gw-c', broker, redisUrl: redis.url, store });
  const [lampId] = broker.registry.segments[1]!.lampIds;
  const silent = await startLamp(lampHost(), lampId!, false);
  lamps.push(silent);
  const sent = await c.api('POST', '/api/commands', {
    token: operator,
    body: { target: { kind: 'lamp', lampId }, action: { type: 'release' } },
  });
  expect(sent.status, sent.text).toBe(202);
  const id = sent.json.command.commandId as string;
  // C stops before its lamp's deadline: the resend and the timeout are B's and A's to do.
  await c.stop();
  c = undefined;
  const copiesBefore = silent.received.filter((m) => m.commandId === id).length;
  const done = await finished(b, id);
  expect(done.command.status).toBe('timedOut');
  expect(done.lamps).toEqual([expect.objectContaining({ lampId, attempts: 2 })]);
  // The resend came from a survivor (C's own first copy may not have left before it stopped).
  await eventually(
    'the resend from a survivor',
    () => silent.received.filter((m) => m.commandId === id).length > copiesBefore,
  );
  // One resend for the cluster: never more than the two attempts.
  expect(silent.received.filter((m) => m.commandId === id).length).toBeLessThanOrEqual(2);
  // The completion is audited by the survivor that timed it out, just after the state changed.
  const audit = await eventually('the completion in the audit trail', async () => {
    const r = await a.api('GET', `/api/audit?subject=${id}&action=command.completed`, {
      token: admin,
    });
    return r.json.entries.length > 0 ? r.json.entries : undefined;
  });
  expect(audit).toHaveLength(1);
  expect(['gw-a', 'gw-b']).toContain(audit[0].node);
});

/**
 * Two broker nodes on one real redis-server (docs/cluster.md): node A is a child process this test
 * SIGKILLs, node B runs in this process. Messages, retained status, persistent QoS1 sessions,
 * wills and revocations must cross from one node to the other.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCredentials, revoke, writeCredentials } from '../../services/broker/credentials.ts';
import { deriveDevicePassword } from '../../shared/auth/deviceCredentials.ts';
import { type LampStatus, topics } from '../../shared/contract/index.ts';
import { collect } from '../broker/support.ts';
import type { TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { type ChildNode, startChildNode, startNode } from './nodes.ts';

const run = promisify(execFile);
const labSecret = randomBytes(16).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'gadelys-cluster-'));
const credentialsPath = join(dir, 'credentials.json');
let redis: TestRedis;
let a: ChildNode;
let b: TestBroker;
const clients: mqtt.MqttClient[] = [];

beforeAll(async () => {
  writeCredentials(credentialsPath, emptyCredentials());
  redis = await startRedis();
  const env = { BROKER_CREDENTIALS_PATH: credentialsPath };
  [a, b] = await Promise.all([
    startChildNode(redis.url, 'node-a', labSecret, env),
    startNode(redis.url, 'node-b', { labSecret, env }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await a?.kill();
  await b?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const connect = async (url: string, id: string, extra: mqtt.IClientOptions = {}) => {
  const c = await mqtt.connectAsync(url, {
    ...b.credentialsFor(id),
    reconnectPeriod: 0,
    protocolVersion: 4,
    // A CONNACK that never comes fails here, named, instead of at the test's timeout.
    connectTimeout: 10_000,
    ...extra,
  });
  clients.push(c);
  return c;
};
const lampPassword = (id: string) => deriveDevicePassword(labSecret, id);
const status = (lampId: string, state: LampStatus['state']): LampStatus => ({
  lampId,
  state,
  ts: Date.now(),
});
const command = (n: number) => JSON.stringify({ commandId: `cmd-${n}`, dim: 40 });
/** The filters aedes-persistence-redis holds for a session (the hash `client:<id>`). */
const storedFilters = async (clientId: string): Promise<string[]> => {
  const { stdout } = await run('redis-cli', [
    '-p',
    String(redis.port),
    'HKEYS',
    `client:${clientId}`,
  ]);
  return stdout.split('\n').filter((line) => line !== '');
};

describe('a broker cluster of two nodes on Redis', () => {
  it('delivers a command published on node B to a lamp on node A', async () => {
    const lamp = await connect(a.url, 'DOLL-0001');
    await lamp.subscribeAsync(topics.command('DOLL-0001'), { qos: 1 });
    const got = collect(lamp);
    const gateway = await connect(b.url, 'gateway');
    // The subscription reaches node B through Redis a moment after the SUBACK.
    await eventually('the command across nodes', async () => {
      await gateway.publishAsync(topics.command('DOLL-0001'), command(1), { qos: 1 });
      return got.length > 0;
    });
    expect(got[0]).toMatchObject({ topic: topics.command('DOLL-0001'), payload: command(1) });
    // Each node's metrics say which node they are from.
    expect(await b.broker.metrics()).toMatch(/gadelys_broker_clients\{node="node-b"\} \d+/);
  });

  it('shows a status retained on node A to a subscriber on node B', async () => {
    const lamp = await connect(a.url, 'DOLL-0002');
    const online = JSON.stringify(status('DOLL-0002', 'online'));
    await lamp.publishAsync(topics.status('DOLL-0002'), online, { qos: 1, retain: true });
    // aedes stores the retained copy in Redis beside the PUBACK, not before it: a subscriber on
    // B that comes too early gets the live copy only, so each try is a new subscriber.
    await eventually('the retained status on node B', async () => {
      const processor = await connect(b.url, 'processor');
      const got = collect(processor);
      await processor.subscribeAsync(topics.status('DOLL-0002'), { qos: 1 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await processor.endAsync();
      return got.some((m) => m.retain && m.payload === online);
    });
  });

  it('cuts a revoked lamp on the node it is on and refuses it on every node', async () => {
    const lamp = await connect(a.url, 'DOLL-0003');
    const closed = new Promise<void>((resolve) => lamp.once('close', () => resolve()));
    writeCredentials(credentialsPath, revoke(emptyCredentials(), 'DOLL-0003'));
    await closed; // node A polls the file every 2 s and drops the open connection
    for (const url of [a.url, b.url]) {
      await eventually(`node ${url} refusing the revoked lamp`, async () => {
        try {
          const c = await mqtt.connectAsync(url, {
            clientId: 'DOLL-0003',
            username: 'DOLL-0003',
            password: lampPassword('DOLL-0003'),
            reconnectPeriod: 0,
            protocolVersion: 4,
          });
          await c.endAsync(true);
          return false;
        } catch (err) {
          // 4: refused as a wrong password would be; 5: locked out after such refusals (on a
          // loaded machine an attempt may time out first, and each failure counts).
          const code = (err as { code?: number }).code;
          return code === 4 || code === 5;
        }
      });
    }
  });

  // Issue #15: aedes asks the persistence to store a SUBSCRIBE's filters once per filter, and
  // aedes-persistence-redis settled only the last of those calls: no SUBACK for 2+ filters.
  it('answers a persistent session subscribing 500 filters in one SUBSCRIBE, and delivers on them', async () => {
    const processor = await connect(a.url, 'processor', {
      clean: false,
      clientId: 'processor-500',
    });
    const lampIds = Array.from({ length: 500 }, (_, i) => `DOLL-${String(i + 1).padStart(4, '0')}`);
    // Before the fix no SUBACK ever came: fail by name, not at the test's timeout.
    const granted = await Promise.race([
      processor.subscribeAsync(
        Object.fromEntries(lampIds.map((id) => [topics.command(id), { qos: 1 as const }])),
      ),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no SUBACK within 20 s')), 20_000).unref(),
      ),
    ]);
    expect(granted).toHaveLength(500);
    expect(granted.every((g) => g.qos === 1)).toBe(true);
    const got = collect(processor);
    const gateway = await connect(b.url, 'gateway');
    await eventually('a command on the 201st filter across nodes', async () => {
      await gateway.publishAsync(topics.command('DOLL-0201'), command(201), { qos: 1 });
      return got.length > 0;
    });
    expect(got[0]).toMatchObject({ topic: topics.command('DOLL-0201'), payload: command(201) });
    // Stored once in the session, each filter once.
    expect((await storedFilters('processor-500')).sort()).toEqual(
      lampIds.map((id) => topics.command(id)).sort(),
    );
  });

  it("keeps a filter refused in a SUBSCRIBE out of the persistent session's stored filters", async () => {
    const lamp = await connect(a.url, 'DOLL-0006', { clean: false });
    // mqtt.js rejects a SUBACK holding a refusal; the reason codes ride on the error.
    const granted = await lamp
      .subscribeAsync({
        [topics.command('DOLL-0006')]: { qos: 1 },
        [topics.command('DOLL-0007')]: { qos: 1 }, // another lamp's commands: refused
      })
      .then(
        () => 'no refusal',
        (err: { packet?: { granted?: unknown } }) => err.packet?.granted,
      );
    expect(granted).toEqual([1, 128]);
    // What the session would get back, and queue offline, after a reconnection on any node.
    expect(await storedFilters('DOLL-0006')).toEqual([topics.command('DOLL-0006')]);
  });

  it("resumes a QoS1 session and fires a lamp's will on node B after node A is killed", async () => {
    const sessionLamp = 'DOLL-0004';
    const willLamp = 'DOLL-0005';
    const lamp = await connect(a.url, sessionLamp, { clean: false });
    await lamp.subscribeAsync(topics.command(sessionLamp), { qos: 1 });
    await connect(a.url, willLamp, {
      will: {
        topic: topics.status(willLamp),
        payload: Buffer.from(JSON.stringify(status(willLamp, 'offline'))),
        qos: 1,
        retain: true,
      },
    });
    const watcher = await connect(b.url, 'processor');
    const statuses = collect(watcher);
    await watcher.subscribeAsync(topics.status(willLamp), { qos: 1 });
    const gateway = await connect(b.url, 'gateway');
    // Node B has learnt the lamp's subscription (Redis carries it a moment after the SUBACK).
    const live = collect(lamp);
    await eventually('a command across nodes before the loss', async () => {
      await gateway.publishAsync(topics.command(sessionLamp), command(0), { qos: 1 });
      return live.length > 0;
    });

    await a.kill();
    // Sent while the lamp has no connection anywhere: Redis keeps it in the lamp's session.
    await gateway.publishAsync(topics.command(sessionLamp), command(2), { qos: 1 });

    // Retrying as a lamp does: on a loaded machine the first CONNACK after the loss has been
    // seen to miss a 3 s timeout (docs/cluster.md, open question).
    const again = mqtt.connect(b.url, {
      ...b.credentialsFor(sessionLamp),
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 500,
      connectTimeout: 3_000,
    });
    clients.push(again);
    const errors: string[] = [];
    again.on('error', (err) => errors.push(err.message));
    const got = collect(again);
    // Copies of command 0 the lamp had not acknowledged when its node died come first.
    await eventually(
      'the queued command on node B',
      () => got.some((m) => m.payload === command(2)),
      { timeoutMs: 15_000, detail: () => `errors: ${errors.join('; ')}` },
    );
    expect(got.every((m) => m.topic === topics.command(sessionLamp))).toBe(true);
    // Node B sees node A's heartbeat stop and publishes the wills A held.
    await eventually('the will of a lamp lost with node A', () =>
      statuses.some((m) => JSON.parse(m.payload).state === 'offline'),
    );
  });
});

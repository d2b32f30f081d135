// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/** What survives a restart: users, tokens, programs, the audit log; the live view is seeded from storage. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadGatewayConfig } from '../../services/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../services/gateway/server.ts';
import { silentLogger } from '../../shared/log.ts';
import { createDuckdbStore } from '../../shared/storage/duckdb/duckdbStore.ts';
import type { Store } from '../../shared/storage/port.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { PASSWORD, reading } from './harness.ts';

let broker: TestBroker;
let store: Store;
let dataDir: string;
const running: RunningGateway[] = [];

beforeAll(async () => {
  broker = await startTestBroker();
  store = await createDuckdbStore({ path: ':memory:' });
  dataDir = await mkdtemp(join(tmpdir(), 'gadelys-gw-restart-'));
  const lamp = broker.registry.lamp('DOLL-0005')!;
  const model = broker.registry.model(lamp.modelId)!;
  const tags = {
    lampId: lamp.id,
    segmentId: lamp.segmentId,
    vendorId: model.vendorId,
    modelId: model.id,
  };
  await store.writeTelemetry([
    { ...reading(lamp.id, { actualLevel: 64, ts: Date.now() - 60_000 }), ...tags },
  ]);
  await store.writeAlarms([
    {
      alarmId: 'commsLost:DOLL-0005',
      type: 'commsLost',
      state: 'raised',
      severity: 'major',
      lampId: lamp.id,
      ts: Date.now() - 30_000,
      detail: 'silent 10 min',
    },
    {
      alarmId: 'dayBurning:DOLL-0006',
      type: 'dayBurning',
      state: 'raised',
      severity: 'minor',
      lampId: 'DOLL-0006',
      ts: Date.now() - 50_000,
      detail: 'on at noon',
    },
    {
      alarmId: 'dayBurning:DOLL-0006',
      type: 'dayBurning',
      state: 'cleared',
      severity: 'minor',
      lampId: 'DOLL-0006',
      ts: Date.now() - 40_000,
      detail: 'off again',
    },
  ]);
});
afterAll(async () => {
  for (const g of running) await g.stop();
  await broker?.stop();
  await store?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function start(): Promise<RunningGateway> {
  const config = loadGatewayConfig({
    PORT: '0',
    MQTT_URL: broker.url,
    GATEWAY_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
  });
  const g = await startGateway(config, {
    registry: broker.registry,
    log: silentLogger,
    labSecret: broker.labSecret,
    store,
    announce: () => undefined,
  });
  running.push(g);
  return g;
}

async function call(
  g: RunningGateway,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
) {
  const res = await fetch(`http://127.0.0.1:${g.port}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

test('seeded from storage, and state survives a restart', async () => {
  const first = await start();
  expect(first.bootstrapSecret).toBeDefined();
  await call(first, 'POST', '/api/auth/bootstrap', undefined, {
    secret: first.bootstrapSecret,
    username: 'admin',
    password: PASSWORD,
  });
  const token = (
    await call(first, 'POST', '/api/auth/login', undefined, {
      username: 'admin',
      password: PASSWORD,
    })
  ).json.token as string;
  const live = await call(first, 'GET', '/api/live?lampIds=DOLL-0005', token);
  expect(live.json.lamps[0].telemetry.actualLevel).toBe(64);
  const alarms = await call(first, 'GET', '/api/alarms', token);
  expect(alarms.json.alarms.map((a: { alarmId: string }) => a.alarmId)).toEqual([
    'commsLost:DOLL-0005',
  ]);
  const ack = await call(first, 'POST', '/api/alarms/commsLost:DOLL-0005/ack', token, {
    note: 'crew sent',
  });
  expect(ack.status).toBe(200);
  expect((await call(first, 'POST', '/api/alarms/commsLost:DOLL-0005/ack', token, {})).status).toBe(
    409,
  );
  const program = {
    id: 'slagelse',
    name: 'Slagelse',
    steps: [{ at: { kind: 'fixed', time: '20:00' }, level: 30 }],
  };
  expect((await call(first, 'POST', '/api/programs', token, program)).status).toBe(201);
  await first.stop();
  running.pop();

  const second = await start();
  expect(second.bootstrapSecret).toBeUndefined();
  expect((await call(second, 'GET', '/api/auth/me', token)).json.principal.username).toBe('admin');
  const programIds = (await call(second, 'GET', '/api/programs', token)).json.programs.map(
    (p: { id: string }) => p.id,
  );
  expect(programIds).toContain('slagelse');
  // The acknowledgement of the still-raised alarm survives too (from the audit log).
  const again = await call(second, 'GET', '/api/alarms', token);
  expect(again.json.alarms).toMatchObject([
    { alarmId: 'commsLost:DOLL-0005', acknowledgedBy: 'admin' },
  ]);
  expect(
    (await call(second, 'POST', '/api/alarms/commsLost:DOLL-0005/ack', token, {})).status,
  ).toBe(409);
  const audit = await call(second, 'GET', '/api/audit', token);
  expect(audit.json.entries.map((e: { action: string }) => e.action).sort()).toEqual([
    'alarm.acknowledged',
    'auth.bootstrap',
    'program.created',
  ]);
});

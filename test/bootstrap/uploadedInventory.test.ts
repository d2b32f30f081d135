// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/**
 * An inventory an admin uploads through the gateway is, after a restart, the inventory of every
 * service: each loads its own config from the environment and resolves its registry through the
 * bootstrap, as its main.ts does. The broker lets the new lamps in, the simulator simulates
 * them, the processor stores them and the gateway shows them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadBrokerConfig } from '../../services/broker/config.ts';
import { startBroker } from '../../services/broker/server.ts';
import { loadGatewayConfig } from '../../services/gateway/config.ts';
import { startGateway } from '../../services/gateway/server.ts';
import { loadProcessorConfig } from '../../services/processor/config.ts';
import { startProcessor } from '../../services/processor/processor.ts';
import { loadServiceRegistry } from '../../shared/bootstrap/inventory.ts';
import { silentLogger } from '../../shared/log.ts';
import type { RunningService } from '../../shared/service.ts';
import { loadSimulatorConfig } from '../../simulator/config.ts';
import { startSimulator } from '../../simulator/simulator.ts';
import { PASSWORD, startHarness } from '../gateway/harness.ts';
import { eventually } from '../helpers/eventually.ts';
import { SURVEYED_LAMPS, surveyCsv } from './survey.ts';

const LAMPS = SURVEYED_LAMPS;
let dir: string;
const started: RunningService[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gadelys-upload-'));
});

afterAll(async () => {
  for (const s of started.reverse()) await s.stop().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

/** Upload through a running gateway (on the shipped route), then stop it: the "before". */
async function upload(dataDir: string): Promise<void> {
  const h = await startHarness({ env: { GATEWAY_DATA_DIR: dataDir } });
  try {
    const model = h.broker.registry.models[0]!.id;
    const content = surveyCsv(model);
    const r = await h.api('POST', '/api/registry/inventory', {
      token: h.tokens.admin,
      body: { format: 'csv', content },
    });
    expect(r.status).toBe(201);
  } finally {
    await h.gateway.stop();
    await h.broker.stop();
    // The harness's own temp folder went unused: GATEWAY_DATA_DIR pointed elsewhere.
    await rm(h.dataDir, { recursive: true, force: true });
  }
}

test('after a restart the broker, processor, simulator and gateway all run the uploaded inventory', async () => {
  const dataDir = join(dir, 'gateway');
  await upload(dataDir);

  const env: Record<string, string> = {
    LAB_SECRET: 'uploaded-inventory-secret',
    GATEWAY_DATA_DIR: dataDir,
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    BROKER_METRICS_PORT: '0',
    BROKER_DEVICE_PUBLISH_RATE: '0',
    PORT: '0',
    PROCESSOR_METRICS_PORT: '0',
    PROCESSOR_CLIENT_ID: `upload-${process.pid}`,
    PROCESSOR_FLUSH_INTERVAL_MS: '50',
    SPOOL_DIR: join(dir, 'spool'),
    DUCKDB_PATH: join(dir, 'lab.duckdb'),
    SIMULATOR_INTERVAL_MS: '200',
    LOG_LEVEL: 'silent',
  };
  const ids = (r: { lamps: readonly { id: string }[] }) => r.lamps.map((l) => l.id);

  const brokerConfig = loadBrokerConfig(env);
  const brokerRegistry = loadServiceRegistry(brokerConfig);
  expect(ids(brokerRegistry)).toEqual(LAMPS);
  const broker = await startBroker(brokerConfig, { registry: brokerRegistry, log: silentLogger });
  started.push(broker);
  const mqtt = { ...env, MQTT_URL: broker.url };

  const processorConfig = loadProcessorConfig(mqtt);
  const processorRegistry = loadServiceRegistry(processorConfig);
  expect(ids(processorRegistry)).toEqual(LAMPS);
  const processor = await startProcessor(processorConfig, {
    registry: processorRegistry,
    log: silentLogger,
  });
  started.push(processor);

  const gatewayConfig = loadGatewayConfig(mqtt);
  const gatewayRegistry = loadServiceRegistry(gatewayConfig);
  expect(ids(gatewayRegistry)).toEqual(LAMPS);
  const gateway = await startGateway(gatewayConfig, {
    registry: gatewayRegistry,
    log: silentLogger,
    announce: () => undefined,
  });
  started.push(gateway);

  const simulatorConfig = loadSimulatorConfig(mqtt);
  const simulatorRegistry = loadServiceRegistry(simulatorConfig);
  expect(ids(simulatorRegistry)).toEqual(LAMPS);
  const simulator = await startSimulator(simulatorConfig, {
    registry: simulatorRegistry,
    log: silentLogger,
    labSecret: env.LAB_SECRET!,
  });
  started.push(simulator);

  // Every simulated lamp logged in: the broker knows the uploaded lamps.
  expect(simulator.stats().connected).toBe(LAMPS.length);
  // The processor took their readings (no unknown_lamp) and stored them.
  await eventually('every uploaded lamp stored', async () => {
    const latest = await processor.store.latest({});
    return LAMPS.every((id) => latest.some((t) => t.lampId === id));
  });
  // The gateway shows exactly the uploaded lamps, live.
  const base = `http://127.0.0.1:${gateway.port}`;
  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  expect(login.status).toBe(200);
  const { token } = (await login.json()) as { token: string };
  const live = await eventually('every uploaded lamp live', async () => {
    const r = await fetch(`${base}/api/live`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await r.json()) as any;
    return body.lamps.every((l: any) => l.telemetry !== null) && body.lamps;
  });
  expect(live.map((l: any) => l.lampId)).toEqual(LAMPS);
});

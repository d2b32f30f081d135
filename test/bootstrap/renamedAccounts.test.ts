/**
 * A renamed service account (`GATEWAY_MQTT_USERNAME`, `PROCESSOR_MQTT_USERNAME`) still logs in
 * with its derived password: the password follows the role, and the broker, reading the same
 * variables, maps the name to the role. Real broker, gateway and processor on port 0.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadGatewayConfig } from '../../services/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../services/gateway/server.ts';
import { loadProcessorConfig } from '../../services/processor/config.ts';
import { type RunningProcessor, startProcessor } from '../../services/processor/processor.ts';
import { silentLogger } from '../../shared/log.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';

const env = { GATEWAY_MQTT_USERNAME: 'gw-east', PROCESSOR_MQTT_USERNAME: 'ingest-1' };
let broker: TestBroker;
let dir: string;
const started: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  broker = await startTestBroker({ env });
  dir = await mkdtemp(join(tmpdir(), 'gadelys-renamed-'));
});

afterAll(async () => {
  for (const s of started.reverse()) await s.stop();
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a gateway and a processor under changed usernames log in with derived passwords', async () => {
  const gateway: RunningGateway = await startGateway(
    loadGatewayConfig({
      ...env,
      PORT: '0',
      MQTT_URL: broker.url,
      GATEWAY_DATA_DIR: join(dir, 'gateway'),
      LOG_LEVEL: 'silent',
    }),
    {
      registry: broker.registry,
      log: silentLogger,
      labSecret: broker.labSecret,
      announce: () => undefined,
    },
  );
  started.push(gateway);
  expect(gateway.mqtt?.client.connected).toBe(true);
  expect(gateway.mqtt?.client.options.username).toBe('gw-east');

  const processor: RunningProcessor = await startProcessor(
    loadProcessorConfig({
      ...env,
      MQTT_URL: broker.url,
      STORE: 'duckdb',
      DUCKDB_PATH: ':memory:',
      SPOOL_DIR: join(dir, 'spool'),
      PROCESSOR_METRICS_PORT: '0',
      PROCESSOR_CLIENT_ID: `renamed-${process.pid}`,
      LOG_LEVEL: 'silent',
    }),
    { registry: broker.registry, log: silentLogger, labSecret: broker.labSecret },
  );
  started.push(processor);
  expect(processor.status().mqttConnected).toBe(true);
  // Subscribing follows the connect; granted only to an account the broker authorised.
  await eventually('the processor subscribed', () => processor.status().subscribed);
});

test('a broker refuses to start when two roles share a username', async () => {
  await expect(startTestBroker({ env: { GATEWAY_MQTT_USERNAME: 'processor' } })).rejects.toThrow(
    /GATEWAY_MQTT_USERNAME="processor": also PROCESSOR_MQTT_USERNAME/,
  );
});

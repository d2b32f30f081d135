// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/**
 * Command response in the vendor report comes from acks the processor stored, so a gateway
 * restarted in the middle of a period reports the commands the process before it sent. Real
 * broker, processor, embedded store, lamp client and two gateway processes one after the other.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadGatewayConfig } from '../../services/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../services/gateway/server.ts';
import { type RunningProcessor, startProcessor } from '../../services/processor/processor.ts';
import { silentLogger } from '../../shared/log.ts';
import { createDuckdbStore } from '../../shared/storage/duckdb/duckdbStore.ts';
import type { Store } from '../../shared/storage/port.ts';
import { eventually } from '../helpers/eventually.ts';
import { processorConfig, processorEnv } from '../processor/harness.ts';
import { type Harness, startHarness, startLamp, type TestLamp, VENDOR_A } from './harness.ts';

let store: Store;
let h: Harness;
let processor: RunningProcessor;
let lamp: TestLamp;
let second: RunningGateway | undefined;
let spool = '';

beforeAll(async () => {
  store = await createDuckdbStore({ path: ':memory:' });
  h = await startHarness({ store });
  const env = processorEnv(h.broker);
  spool = env.SPOOL_DIR!;
  processor = await startProcessor(processorConfig(env), {
    registry: h.broker.registry,
    log: silentLogger,
    store,
  });
  await eventually('the processor subscribed', () => processor.status().subscribed);
  lamp = await startLamp(h, h.broker.registry.lampsOfVendor(VENDOR_A)[0]!.id);
}, 60_000);

afterAll(async () => {
  await lamp?.stop();
  await second?.stop();
  await processor?.stop();
  await h?.broker.stop();
  await store?.close();
  if (h) await rm(h.dataDir, { recursive: true, force: true });
  if (spool) await rm(spool, { recursive: true, force: true });
});

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${h.tokens.operator}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: (await res.json()) as any };
}

async function commandAcked(base: string, level: number): Promise<string> {
  const sent = await call(base, 'POST', '/api/commands', {
    target: { kind: 'lamp', lampId: lamp.id },
    action: { type: 'override', level },
  });
  expect(sent.status).toBe(202);
  const id: string = sent.json.command.commandId;
  await eventually(`command ${id} acked`, async () => {
    const r = await call(base, 'GET', `/api/commands/${id}`);
    return r.json.command?.counts.acked === 1;
  });
  return id;
}

const storedAcks = async () =>
  store.acks({ from: Date.now() - 3_600_000, to: Date.now() + 60_000, lampIds: [lamp.id] });

test('a restarted gateway reports the response times of commands sent before the restart', async () => {
  const first = await commandAcked(h.base, 40);
  await eventually('the first ack stored', async () =>
    (await storedAcks()).some((a) => a.commandId === first),
  );
  // The gateway stops; a new process starts on the same data directory and the same store.
  await h.gateway.stop();
  second = await startGateway(
    loadGatewayConfig({
      PORT: '0',
      MQTT_URL: h.broker.url,
      GATEWAY_DATA_DIR: h.dataDir,
      GATEWAY_COMMAND_TIMEOUT_MS: '400',
      LOG_LEVEL: 'silent',
    }),
    {
      registry: h.broker.registry,
      log: silentLogger,
      labSecret: h.broker.labSecret,
      announce: () => undefined,
      store,
    },
  );
  const base = `http://127.0.0.1:${second.port}`;
  const again = await commandAcked(base, 60);
  await eventually('the second ack stored', async () =>
    (await storedAcks()).some((a) => a.commandId === again),
  );
  // The new process tracked only the second command; the report still has both.
  expect(await second.context.tracker.list()).toHaveLength(1);
  const r = await call(base, 'GET', `/api/reports/vendor/${VENDOR_A}?nights=1`);
  expect(r.status).toBe(200);
  const model = r.json.models.find(
    (m: any) => m.modelId === h.broker.registry.lamp(lamp.id)!.modelId,
  );
  expect(model.commandResponseMs.samples).toBe(2);
  expect(model.commandResponseMs.p50).toBeGreaterThanOrEqual(0);
  expect(model.commandResponseMs.p95).toBeLessThan(10_000);
  const others = r.json.models.filter((m: any) => m !== model);
  expect(others.every((m: any) => m.commandResponseMs.samples === 0)).toBe(true);
});

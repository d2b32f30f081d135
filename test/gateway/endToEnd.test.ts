// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/**
 * The whole chain: simulator lamps -> our broker -> processor -> DuckDB store, and the gateway
 * on the same broker and store. Live state, a segment command with silent lamps, and history.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadProcessorConfig } from '../../services/processor/config.ts';
import { type RunningProcessor, startProcessor } from '../../services/processor/processor.ts';
import { silentLogger } from '../../shared/log.ts';
import { createDuckdbStore } from '../../shared/storage/duckdb/duckdbStore.ts';
import type { Store } from '../../shared/storage/port.ts';
import { loadSimulatorConfig } from '../../simulator/config.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/simulator.ts';
import { eventually } from '../helpers/eventually.ts';
import { type Harness, startHarness } from './harness.ts';
import { connectWs } from './wsClient.ts';

let h: Harness;
let store: Store;
let processor: RunningProcessor;
let simulator: RunningSimulator;
let spool: string;
let silent: string[];
let segmentId: string;

beforeAll(async () => {
  store = await createDuckdbStore({ path: ':memory:' });
  h = await startHarness({
    store,
    // Room for a loaded machine: a simulated lamp that acks late is counted as timed out.
    env: { GATEWAY_COMMAND_TIMEOUT_MS: '3000', GATEWAY_COMMAND_RETRIES: '1' },
  });
  spool = await mkdtemp(join(tmpdir(), 'gadelys-e2e-spool-'));
  processor = await startProcessor(
    loadProcessorConfig({
      MQTT_URL: h.broker.url,
      SPOOL_DIR: spool,
      PROCESSOR_METRICS_PORT: '0',
      PROCESSOR_CLIENT_ID: `processor-e2e-${process.pid}`,
      PROCESSOR_FLUSH_INTERVAL_MS: '100',
      LOG_LEVEL: 'silent',
    }),
    { registry: h.broker.registry, log: silentLogger, labSecret: h.broker.labSecret, store },
  );
  const segment = h.broker.registry.segments[2]!;
  segmentId = segment.id;
  silent = segment.lampIds.slice(0, 2);
  simulator = await startSimulator(
    loadSimulatorConfig({
      MQTT_URL: h.broker.url,
      SIMULATOR_INTERVAL_MS: '1000',
      SIMULATOR_SPEED: '1',
      SIMULATOR_FAULTS: silent.map((id) => `commsLoss:${id}`).join(';'),
      LOG_LEVEL: 'silent',
    }),
    { registry: h.broker.registry, log: silentLogger, labSecret: h.broker.labSecret },
  );
});

afterAll(async () => {
  await simulator?.stop();
  await processor?.stop();
  await h?.stop();
  await store?.close();
  if (spool) await rm(spool, { recursive: true, force: true });
});

test('simulated lamps reach the WebSocket as a snapshot, then deltas', async () => {
  const s = await connectWs(h.wsUrl, h.tokens.viewer);
  s.send({ type: 'subscribe', all: true });
  await s.next((f) => f.type === 'snapshot');
  const seen = new Set<string>();
  await eventually(
    'readings from most simulated lamps',
    () => {
      for (const f of s.frames)
        if (f.type === 'delta') for (const l of f.lamps) if (l.telemetry) seen.add(l.lampId);
      return seen.size >= 200;
    },
    { timeoutMs: 15_000, intervalMs: 50 },
  );
  const live = await h.api('GET', '/api/live?status=online', { token: h.tokens.viewer });
  expect(live.json.count).toBeGreaterThanOrEqual(200);
  await s.close();
});

test('a segment command: simulated lamps ack, silent lamps time out after a resend', async () => {
  const segment = h.broker.registry.segment(segmentId)!;
  const r = await h.api('POST', '/api/commands', {
    token: h.tokens.operator,
    body: { target: { kind: 'segment', segmentId }, action: { type: 'override', level: 35 } },
  });
  expect(r.status, r.text).toBe(202);
  const done = await eventually(
    'the command to finish',
    async () => {
      const s = await h.api('GET', `/api/commands/${r.json.command.commandId}`, {
        token: h.tokens.operator,
      });
      return s.json.command.status !== 'pending' ? s.json : undefined;
    },
    { intervalMs: 50, timeoutMs: 30_000 },
  );
  expect(done.command.status).toBe('partial');
  expect(done.command.counts.timedOut).toBe(silent.length);
  expect(done.command.counts.acked).toBe(segment.lampIds.length - silent.length);
  for (const id of silent)
    expect(done.lamps.find((l: any) => l.lampId === id)).toMatchObject({
      state: 'timedOut',
      attempts: 2,
    });
  // Each acked lamp has its round trip (no time limit here: a loaded CI machine is slow).
  const acked = done.lamps.filter((l: any) => l.state === 'acked');
  expect(acked.length).toBe(segment.lampIds.length - silent.length);
  for (const l of acked) expect(l.rttMs).toBeGreaterThanOrEqual(0);
  expect(done.command.rttMs.p95).toBeGreaterThanOrEqual(done.command.rttMs.p50);
});

test('history through the processor and the store', async () => {
  expect(await processor.drained(10_000)).toBe(true);
  const lampId = h.broker.registry.lamps.find((l) => !silent.includes(l.id))!.id;
  const r = await eventually(
    'stored readings',
    async () => {
      const res = await h.api(
        'GET',
        `/api/history?field=activePower&lampIds=${lampId}&from=${Date.now() - 120_000}&bucketMs=1000`,
        {
          token: h.tokens.viewer,
        },
      );
      return res.json.series?.[0]?.points.some((p: any) => p.value !== null) ? res : undefined;
    },
    { intervalMs: 100 },
  );
  expect(r.json.series[0].lampId).toBe(lampId);
});

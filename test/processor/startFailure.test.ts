import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { startProcessor } from '../../services/processor/processor.ts';
import { silentLogger } from '../../shared/log.ts';
import { startTestBroker } from '../helpers/broker.ts';
import { processorConfig, processorEnv } from './harness.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

test('a metrics port in use fails the start cleanly, and a second start on the same files works', async () => {
  const broker = await startTestBroker();
  cleanup.push(() => broker.stop());
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => taken.close(() => r())));
  const port = (taken.address() as { port: number }).port;

  const env = processorEnv(broker, { STORE: 'duckdb', PROCESSOR_METRICS_PORT: String(port) });
  env.DUCKDB_PATH = join(env.SPOOL_DIR!, 'test.duckdb');
  cleanup.push(() => rmSync(env.SPOOL_DIR!, { recursive: true, force: true }));
  const deps = { registry: broker.registry, log: silentLogger };
  await expect(startProcessor(processorConfig(env), deps)).rejects.toMatchObject({
    code: 'EADDRINUSE',
  });
  // Nothing left behind: the DuckDB file and the broker session are free for the next start.
  const processor = await startProcessor(
    processorConfig({ ...env, PROCESSOR_METRICS_PORT: '0' }),
    deps,
  );
  expect(processor.status().mqttConnected).toBe(true);
  await processor.stop();
});

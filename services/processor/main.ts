import { setFlagsFromString } from 'node:v8';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';

/**
 * V8 sizes its heap from the machine's RAM and lets garbage pile up under load (RSS 270-290 MB
 * here in a store outage, heap in use far lower). Unless the user set a heap size, the processor
 * runs in a worker thread with a capped old generation: one process, bounded memory, no flag to
 * remember. Signals reach the main thread and are passed on. The main thread imports nothing
 * else, so it stays small.
 */
const HEAP_MB = 128;
/**
 * Where the worker's heap starts. From a small start V8 keeps the old generation within ~1.3x
 * of what is live and, to leave room for a full young generation, begins marking long before
 * that: the batched ingest bench saw a full mark-compact every ~150 ms (19 per 280,000
 * readings), 11 from this start (10 from 96 MB, for ~15 MB more RSS), with the same cap.
 */
const INITIAL_HEAP_MB = 64;
/**
 * Young generation of the worker. V8's default for it (32 MB here) bought no throughput in the
 * ingest bench over 16 MB, and cost its difference in RSS (233/210 MB against 239/241 MB peak
 * over the per-lamp and batched phases).
 */
const YOUNG_MB = 16;
const heapFlagSet = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some(
  (a) => a.startsWith('--max-old-space-size'),
);

if (isMainThread && !heapFlagSet) {
  // Node 20 does not apply `--import tsx` to workers: register tsx there when we run from source.
  const self = JSON.stringify(import.meta.url);
  const entry = import.meta.url.endsWith('.ts')
    ? `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${self}); })`
    : `import(${self})`;
  // Worker isolates take V8's heap flags as they are when the worker starts; resourceLimits has
  // no initial size.
  setFlagsFromString(`--initial-heap-size=${INITIAL_HEAP_MB}`);
  const worker = new Worker(entry, {
    eval: true,
    resourceLimits: { maxOldGenerationSizeMb: HEAP_MB, maxYoungGenerationSizeMb: YOUNG_MB },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => worker.postMessage({ signal }));
  }
  worker.on('error', (err) => {
    console.error(err);
    process.exit(1);
  });
  worker.on('exit', (code) => process.exit(code));
} else {
  // In the worker, signals arrive as messages from the main thread.
  parentPort?.on('message', (m: { signal?: NodeJS.Signals }) => {
    if (!m.signal) return;
    // Before the handlers are in place a signal ends the process, as it would without a worker.
    if (process.listenerCount(m.signal) === 0) process.exit(m.signal === 'SIGINT' ? 130 : 143);
    process.emit(m.signal, m.signal);
  });
  const { ConfigError } = await import('../../shared/config.ts');
  try {
    const { createLogger } = await import('../../shared/log.ts');
    const { loadServiceRegistry } = await import('../../shared/bootstrap/inventory.ts');
    const { requireSecret } = await import('../../shared/bootstrap/secrets.ts');
    const { banner, stopOnSignal } = await import('../../shared/service.ts');
    const { loadProcessorConfig } = await import('./config.ts');
    const { startProcessor } = await import('./processor.ts');
    const config = loadProcessorConfig();
    requireSecret('processor', config.LAB_SECRET, {
      PROCESSOR_MQTT_PASSWORD: config.PROCESSOR_MQTT_PASSWORD,
    });
    const log = createLogger('processor', config.LOG_LEVEL);
    const registry = loadServiceRegistry(config);
    // The store opens inside, by the one start-up policy (shared/bootstrap/store.ts).
    const processor = await startProcessor(config, { registry, log });
    console.log(banner('gadelys processor', [processor]));
    process.exit(await stopOnSignal([processor], log));
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  }
}

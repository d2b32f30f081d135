import { ConfigError } from '../../shared/config.ts';
import { createLogger } from '../../shared/log.ts';
import { loadRegistry } from '../../shared/registry/index.ts';
import { banner, stopOnSignal } from '../../shared/service.ts';
import { loadProcessorConfig } from './config.ts';
import { startProcessor } from './processor.ts';

try {
  const config = loadProcessorConfig();
  if (!config.LAB_SECRET && !config.PROCESSOR_MQTT_PASSWORD) {
    throw new ConfigError('processor', [
      'LAB_SECRET and PROCESSOR_MQTT_PASSWORD are both unset: set one (npm start generates a lab secret in-process)',
    ]);
  }
  const log = createLogger('processor', config.LOG_LEVEL);
  const registry = loadRegistry(
    process.env.INVENTORY_PATH || undefined,
    process.env.CATALOG_PATH || undefined,
  );
  const processor = await startProcessor(config, { registry, log });
  console.log(banner('gadelys processor', [processor]));
  process.exit(await stopOnSignal([processor], log));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}

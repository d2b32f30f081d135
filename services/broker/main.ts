import { ConfigError } from '../../shared/config.ts';
import { createLogger } from '../../shared/log.ts';
import { loadRegistry } from '../../shared/registry/index.ts';
import { banner, stopOnSignal } from '../../shared/service.ts';
import { loadBrokerConfig } from './config.ts';
import { startBroker } from './server.ts';

try {
  const config = loadBrokerConfig();
  const anyPassword =
    config.PROCESSOR_MQTT_PASSWORD ??
    config.GATEWAY_MQTT_PASSWORD ??
    config.SIMULATOR_MQTT_PASSWORD ??
    config.ADMIN_MQTT_PASSWORD;
  // Standalone, nobody generates a lab secret for us: without one (or explicit secrets) no
  // client could ever authenticate, which is a configuration mistake worth failing on.
  if (
    !config.LAB_SECRET &&
    !config.BROKER_CREDENTIALS_PATH &&
    !anyPassword &&
    !config.BROKER_ALLOW_ANONYMOUS
  ) {
    throw new ConfigError('broker', [
      'LAB_SECRET=unset: set LAB_SECRET (lab), or BROKER_CREDENTIALS_PATH and <SERVICE>_MQTT_PASSWORD (production)',
    ]);
  }
  const log = createLogger('broker', config.LOG_LEVEL);
  const registry = loadRegistry(config.INVENTORY_PATH, config.CATALOG_PATH);
  const broker = await startBroker(config, { registry, log });
  console.log(banner('gadelys broker', [broker]));
  process.exit(await stopOnSignal([broker], log));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}

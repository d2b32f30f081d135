import { loadServiceRegistry } from '../../shared/bootstrap/inventory.ts';
import { requireSecret } from '../../shared/bootstrap/secrets.ts';
import { ConfigError } from '../../shared/config.ts';
import { createLogger } from '../../shared/log.ts';
import { banner, stopOnSignal } from '../../shared/service.ts';
import { loadBrokerConfig } from './config.ts';
import { startBroker } from './server.ts';

try {
  const config = loadBrokerConfig();
  // Without a lab secret or explicit secrets no client could ever authenticate.
  requireSecret('broker', config.LAB_SECRET, {
    BROKER_CREDENTIALS_PATH: config.BROKER_CREDENTIALS_PATH,
    '<SERVICE>_MQTT_PASSWORD':
      config.PROCESSOR_MQTT_PASSWORD ??
      config.GATEWAY_MQTT_PASSWORD ??
      config.SIMULATOR_MQTT_PASSWORD ??
      config.ADMIN_MQTT_PASSWORD,
    BROKER_ALLOW_ANONYMOUS: config.BROKER_ALLOW_ANONYMOUS,
  });
  const log = createLogger('broker', config.LOG_LEVEL);
  const registry = loadServiceRegistry(config);
  const broker = await startBroker(config, { registry, log });
  console.log(banner('gadelys broker', [broker]));
  process.exit(await stopOnSignal([broker], log));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}

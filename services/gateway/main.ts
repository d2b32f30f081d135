import { ConfigError } from '../../shared/config.ts';
import { createLogger } from '../../shared/log.ts';
import { loadRegistry } from '../../shared/registry/index.ts';
import { banner, stopOnSignal } from '../../shared/service.ts';
import { loadGatewayConfig } from './config.ts';
import { startGateway } from './server.ts';

try {
  const config = loadGatewayConfig();
  const log = createLogger('gateway', config.LOG_LEVEL);
  const registry = loadRegistry(config.INVENTORY_PATH, config.CATALOG_PATH);
  const gateway = await startGateway(config, { registry, log });
  console.log(banner('gadelys gateway', [gateway]));
  process.exit(await stopOnSignal([gateway], log));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}

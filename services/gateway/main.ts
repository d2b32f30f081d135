import { loadServiceRegistry } from '../../shared/bootstrap/inventory.ts';
import { requireSecret } from '../../shared/bootstrap/secrets.ts';
import { openStore, refuseEmbeddedStore } from '../../shared/bootstrap/store.ts';
import { ConfigError } from '../../shared/config.ts';
import { createLogger } from '../../shared/log.ts';
import { banner, stopOnSignal } from '../../shared/service.ts';
import type { Store } from '../../shared/storage/port.ts';
import { loadGatewayConfig, loadGatewayStoreConfig } from './config.ts';
import { startGateway } from './server.ts';

let store: Store | undefined;
try {
  const config = loadGatewayConfig();
  const storeConfig = loadGatewayStoreConfig();
  requireSecret('gateway', config.LAB_SECRET, {
    GATEWAY_MQTT_PASSWORD: config.GATEWAY_MQTT_PASSWORD,
  });
  // On its own, the gateway reads what a processor in another process writes: not DuckDB.
  refuseEmbeddedStore('gateway', storeConfig);
  const log = createLogger('gateway', config.LOG_LEVEL);
  const registry = loadServiceRegistry(config);
  store = await openStore('gateway', storeConfig, { log });
  const gateway = await startGateway(config, { registry, log, store });
  console.log(banner('gadelys gateway', [gateway]));
  const code = await stopOnSignal([gateway], log);
  await store?.close();
  process.exit(code);
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  await store?.close().catch(() => undefined);
  process.exit(1);
}

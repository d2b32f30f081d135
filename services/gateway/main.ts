import { ConfigError } from '../../shared/config.ts';
import { createLogger } from '../../shared/log.ts';
import { loadRegistry, resolveInventoryPath } from '../../shared/registry/index.ts';
import { banner, stopOnSignal } from '../../shared/service.ts';
import { createStore } from '../../shared/storage/createStore.ts';
import type { Store } from '../../shared/storage/port.ts';
import { loadGatewayConfig, loadGatewayStoreConfig } from './config.ts';
import { startGateway } from './server.ts';

let store: Store | undefined;
try {
  const config = loadGatewayConfig();
  const storeConfig = loadGatewayStoreConfig();
  if (config.LAB_SECRET === undefined && config.GATEWAY_MQTT_PASSWORD === undefined) {
    throw new ConfigError('gateway', [
      'LAB_SECRET=unset: a standalone gateway needs LAB_SECRET or GATEWAY_MQTT_PASSWORD for the broker',
    ]);
  }
  const log = createLogger('gateway', config.LOG_LEVEL);
  const inventory = resolveInventoryPath(config.INVENTORY_PATH, config.GATEWAY_DATA_DIR);
  const registry = loadRegistry(inventory, config.CATALOG_PATH);
  try {
    store = await createStore(storeConfig);
  } catch (err) {
    // An embedded DuckDB file is locked by the processor of another process; InfluxDB may be
    // down. Live state and commands still work; history endpoints answer 503.
    log.error({ err }, 'store unavailable: history, energy and reports answer 503');
  }
  const gateway = await startGateway(config, { registry, log, ...(store ? { store } : {}) });
  console.log(banner('gadelys gateway', [gateway]));
  const code = await stopOnSignal([gateway], log);
  await store?.close();
  process.exit(code);
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  await store?.close().catch(() => undefined);
  process.exit(1);
}

import { loadServiceRegistry } from '../../shared/bootstrap/inventory.ts';
import { labSecretOf } from '../../shared/bootstrap/secrets.ts';
import { openStore } from '../../shared/bootstrap/store.ts';
import { ConfigError } from '../../shared/config.ts';
import { createLogger, type Logger } from '../../shared/log.ts';
import type { RunningService } from '../../shared/service.ts';
import type { Store } from '../../shared/storage/port.ts';
import { loadSimulatorConfig } from '../../simulator/config.ts';
import { startSimulator } from '../../simulator/simulator.ts';
import { loadBrokerConfig } from '../broker/config.ts';
import { startBroker } from '../broker/server.ts';
import { loadGatewayConfig } from '../gateway/config.ts';
import { startGateway } from '../gateway/server.ts';
import { loadProcessorConfig, retentionOf } from '../processor/config.ts';
import { startProcessor } from '../processor/processor.ts';
import { loadLabConfig } from './config.ts';

type Env = Record<string, string | undefined>;

/** Load every service's config from one environment, collecting every problem first. */
export function loadLabConfigs(source: Env) {
  const problems: string[] = [];
  const attempt = <T>(load: (s: Env) => T): T | undefined => {
    try {
      return load(source);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems.map((p) => `${err.service}: ${p}`));
      return undefined;
    }
  };
  const lab = attempt(loadLabConfig);
  const broker = attempt(loadBrokerConfig);
  const processor = attempt(loadProcessorConfig);
  const gateway = attempt(loadGatewayConfig);
  const simulator = attempt(loadSimulatorConfig);
  if (problems.length > 0 || !lab || !broker || !processor || !gateway || !simulator) {
    throw new ConfigError('lab', problems);
  }
  return { lab, broker, processor, gateway, simulator };
}

export interface RunningLab {
  title: string;
  log: Logger;
  /** In start order; stop them in reverse. */
  services: RunningService[];
  labSecret: string;
  store: Store;
}

/**
 * Start every service in-process, in dependency order, and hand back what to stop. On a failure
 * part-way, what already started is stopped before the error is rethrown.
 */
export async function startLab(source: Env): Promise<RunningLab> {
  const config = loadLabConfigs(source);
  const level = config.lab.LOG_LEVEL;
  const log = createLogger('lab', level);
  const labSecret = labSecretOf(config.lab);
  // Every service reads the same inventory variables (SIMULATOR_LAMPS among them) from the one
  // environment: one registry, resolved once.
  const registry = loadServiceRegistry(config.gateway);
  const services: RunningService[] = [];
  let store: Store | undefined;
  try {
    const broker = await startBroker(config.broker, {
      registry,
      log: createLogger('broker', level),
      labSecret,
    });
    services.push(broker);
    const mqttUrl = broker.url;
    store = await openStore('lab', config.processor, {
      log: createLogger('store', level),
      retention: retentionOf(config.processor),
    });
    const opened = store;
    services.push({ name: 'store', endpoints: [], stop: () => opened.close() });
    services.push(
      await startProcessor(
        { ...config.processor, MQTT_URL: mqttUrl },
        { registry, log: createLogger('processor', level), labSecret, store },
      ),
    );
    services.push(
      await startGateway(
        { ...config.gateway, MQTT_URL: mqttUrl },
        { registry, log: createLogger('gateway', level), labSecret, store },
      ),
    );
    services.push(
      await startSimulator(
        { ...config.simulator, MQTT_URL: mqttUrl },
        { registry, log: createLogger('simulator', level), labSecret },
      ),
    );
  } catch (err) {
    for (const s of [...services].reverse()) await s.stop().catch(() => undefined);
    throw err;
  }
  const where = registry.approximate ? 'approximate route geometry' : registry.source;
  return {
    title: `gadelys lab: ${registry.lamps.length} lamp posts in ${registry.segments.length} segments (${where})`,
    log,
    services,
    labSecret,
    store,
  };
}

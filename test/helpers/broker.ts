/**
 * Start OUR broker (aedes, with authentication and authorization on) on free ports for a test.
 * Devices and service accounts use passwords derived from `labSecret`, as in the lab.
 *
 *   const b = await startTestBroker();
 *   const lamp = await mqtt.connectAsync(b.url, b.credentialsFor('DOLL-0001'));
 *   const processor = await mqtt.connectAsync(b.url, b.credentialsFor('processor'));
 *   ...
 *   await b.stop();
 */
import { randomBytes } from 'node:crypto';
import { type BrokerConfig, loadBrokerConfig } from '../../services/broker/config.ts';
import { type RunningBroker, startBroker } from '../../services/broker/server.ts';
import { deriveDevicePassword } from '../../shared/auth/deviceCredentials.ts';
import { type ServiceRole, servicePassword } from '../../shared/auth/serviceAccounts.ts';
import { type Logger, silentLogger } from '../../shared/log.ts';
import { loadRegistry, type Registry } from '../../shared/registry/index.ts';

export interface TestBrokerOptions {
  labSecret?: string;
  registry?: Registry;
  log?: Logger;
  /** Broker env overrides, e.g. { BROKER_DEVICE_PUBLISH_RATE: '0' }. Ports default to 0. */
  env?: Record<string, string>;
  /** The broker's clock (rate limits, login throttling), for tests that move time on. */
  now?: () => number;
}

export interface TestBroker {
  /** mqtt://127.0.0.1:<port> */
  url: string;
  /** ws://127.0.0.1:<port>/mqtt */
  wsUrl: string;
  labSecret: string;
  registry: Registry;
  broker: RunningBroker;
  config: BrokerConfig;
  /**
   * mqtt.js options for a device id (lamp or controller: clientId = username = id) or a service
   * role ('processor' | 'gateway' | 'simulator' | 'admin': a unique clientId is generated).
   */
  credentialsFor(id: string): { clientId: string; username: string; password: string };
  stop(): Promise<void>;
}

const SERVICES = new Set(['processor', 'gateway', 'simulator', 'admin']);
let registryCache: Registry | undefined;

export async function startTestBroker(opts: TestBrokerOptions = {}): Promise<TestBroker> {
  const labSecret = opts.labSecret ?? randomBytes(16).toString('hex');
  registryCache ??= opts.registry ? undefined : loadRegistry();
  const registry = opts.registry ?? registryCache!;
  const config = loadBrokerConfig({
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    MQTT_TLS_PORT: '0',
    BROKER_METRICS_PORT: '0',
    BROKER_HOST: '127.0.0.1',
    ...opts.env,
  });
  const broker = await startBroker(config, {
    registry,
    log: opts.log ?? silentLogger,
    labSecret,
    ...(opts.now ? { now: opts.now } : {}),
  });
  let n = 0;
  return {
    url: broker.url,
    wsUrl: broker.wsUrl,
    labSecret,
    registry,
    broker,
    config,
    credentialsFor(id) {
      if (SERVICES.has(id)) {
        n++;
        return {
          clientId: `${id}-test-${process.pid}-${n}-${randomBytes(3).toString('hex')}`,
          username: id,
          password: servicePassword(id as ServiceRole, labSecret),
        };
      }
      return { clientId: id, username: id, password: deriveDevicePassword(labSecret, id) };
    },
    stop: () => broker.stop(),
  };
}

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../shared/log.ts';
import type { Registry } from '../../shared/registry/index.ts';
import type { RunningService } from '../../shared/service.ts';
import { createApp } from './app.ts';
import type { GatewayConfig } from './config.ts';

export interface GatewayDeps {
  registry: Registry;
  log: Logger;
}

export interface RunningGateway extends RunningService {
  /** The port actually bound (differs from the config when that was 0). */
  readonly port: number;
}

export async function startGateway(config: GatewayConfig, deps: GatewayDeps): Promise<RunningGateway> {
  const server = createServer(createApp({ registry: deps.registry }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://${config.HOST}:${port}`;
  deps.log.info({ port }, 'gateway listening');
  return {
    name: 'gateway',
    port,
    endpoints: [
      { label: 'REST API', url: `${base}/api/` },
      { label: 'health', url: `${base}/api/health` },
    ],
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

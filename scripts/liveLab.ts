/**
 * A lean live lab for the web app's benchmark: broker, gateway (no store) and simulator, in
 * a process of its own so that the browser under test does not share an event loop with the
 * services. No processor: the page's live path does not go through storage, and ingest into
 * DuckDB would take the CPU the browser is measured on. As a script it prints one JSON line,
 * `{ base, adminToken, lamps }`, once the lab is up, and stops on SIGTERM or SIGINT.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker } from '../services/broker/server.ts';
import { startGateway } from '../services/gateway/server.ts';
import { loadLabConfigs } from '../services/lab/lab.ts';
import { loadServiceRegistry } from '../shared/bootstrap/inventory.ts';
import { labSecretOf } from '../shared/bootstrap/secrets.ts';
import { createLogger } from '../shared/log.ts';
import type { RunningService } from '../shared/service.ts';
import { startSimulator } from '../simulator/simulator.ts';
import { labEnv } from '../test/helpers/labEnv.ts';

export const LIVE_LAB_ADMIN = { username: 'admin', password: 'a benchmark password' };

export async function startLiveLab(env: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'gadelys-livelab-'));
  const config = loadLabConfigs(labEnv(dir, env));
  const level = config.lab.LOG_LEVEL;
  const labSecret = labSecretOf(config.lab);
  const registry = loadServiceRegistry(config.gateway);
  const services: RunningService[] = [];
  const stop = async () => {
    for (const s of [...services].reverse()) await s.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const broker = await startBroker(config.broker, {
      registry,
      log: createLogger('broker', level),
      labSecret,
    });
    services.push(broker);
    const gateway = await startGateway(
      { ...config.gateway, MQTT_URL: broker.url },
      { registry, log: createLogger('gateway', level), labSecret, announce: () => undefined },
    );
    services.push(gateway);
    services.push(
      await startSimulator(
        { ...config.simulator, MQTT_URL: broker.url },
        { registry, log: createLogger('simulator', level), labSecret },
      ),
    );
    const base = `http://127.0.0.1:${gateway.port}`;
    const post = (path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const boot = await post('/api/auth/bootstrap', {
      secret: gateway.bootstrapSecret,
      ...LIVE_LAB_ADMIN,
    });
    if (boot.status !== 201) throw new Error(`bootstrap: ${await boot.text()}`);
    return { base, lamps: registry.lamps.length, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && /^(SIMULATOR|GATEWAY)_/.test(e[0]),
    ),
  );
  const lab = await startLiveLab(env);
  console.log(JSON.stringify({ base: lab.base, lamps: lab.lamps }));
  const stop = () => {
    void lab.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/**
 * A lean live lab for the web app's benchmark: broker, gateway (no store) and simulator, in
 * a process of its own so that the browser under test does not share an event loop with the
 * services. No processor: the page's live path does not go through storage, and ingest into
 * DuckDB would take the CPU the browser is measured on. As a script it prints one JSON line,
 * `{ base, adminToken, lamps }`, once the lab is up, and stops on SIGTERM or SIGINT.
 *
 * `simulatorProcess`: the simulator runs as a process of its own (`simulator/main.ts`), as the
 * lamps of a real lab are not in the gateway's event loop: 100,000 simulated lamps in the same
 * process kept it busy for minutes at start and behind every request after. The lab is up once
 * the gateway has heard from `readyShare` of the lamps (or after `readyTimeoutMs`).
 */
import { spawn } from 'node:child_process';
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

export interface LiveLabOptions {
  simulatorProcess?: boolean;
  readyShare?: number;
  readyTimeoutMs?: number;
}

/** The gateway's count of lamps it has heard from (its `/metrics`, loopback), or 0. */
async function lampsOnline(base: string): Promise<number> {
  const text = await fetch(`${base}/metrics`).then(
    (r) => (r.ok ? r.text() : ''),
    () => '',
  );
  const m = /^gadelys_gateway_lamps\{status="online"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** A simulator process on the lab's broker, stopped (SIGTERM, then SIGKILL) with the lab. */
function spawnSimulator(env: Record<string, string>, mqttUrl: string, labSecret: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('../simulator/main.ts', import.meta.url))],
    {
      env: {
        PATH: process.env.PATH ?? '',
        ...Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('SIMULATOR_'))),
        MQTT_URL: mqttUrl,
        LAB_SECRET: labSecret,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  // however the lab ends, its lamps end with it
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      process.off('exit', orphanGuard);
    },
  };
}

export async function startLiveLab(env: Record<string, string>, opts: LiveLabOptions = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'gadelys-livelab-'));
  const config = loadLabConfigs(labEnv(dir, env));
  const level = config.lab.LOG_LEVEL;
  const labSecret = labSecretOf(config.lab);
  let simulator: { stop(): Promise<void> } | undefined;
  const registry = loadServiceRegistry(config.gateway);
  const services: RunningService[] = [];
  const stop = async () => {
    await simulator?.stop();
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
    const base = `http://127.0.0.1:${gateway.port}`;
    if (opts.simulatorProcess) {
      simulator = spawnSimulator(env, broker.url, labSecret);
      const want = Math.ceil((opts.readyShare ?? 0.95) * registry.lamps.length);
      const until = Date.now() + (opts.readyTimeoutMs ?? 900_000);
      while ((await lampsOnline(base)) < want && Date.now() < until)
        await new Promise((r) => setTimeout(r, 1_000));
    } else
      services.push(
        await startSimulator(
          { ...config.simulator, MQTT_URL: broker.url },
          { registry, log: createLogger('simulator', level), labSecret },
        ),
      );
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
  const lab = await startLiveLab(env, {
    simulatorProcess: process.env.LIVE_LAB_SIMULATOR === 'process',
  });
  console.log(JSON.stringify({ base: lab.base, lamps: lab.lamps }));
  const stop = () => {
    void lab.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

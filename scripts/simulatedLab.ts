/**
 * The whole lab in this process on free ports and temp data, for the README screenshot, the web
 * app's browser tests and its benchmark: broker, processor (DuckDB), gateway and the simulator,
 * with 1 s readings and fast alarms so a page fills within seconds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningGateway } from '../services/gateway/server.ts';
import { startLab } from '../services/lab/lab.ts';
import { labEnv } from '../test/helpers/labEnv.ts';

export interface SimulatedLab {
  base: string;
  gateway: RunningGateway;
  /** The first admin's one-time secret, unless `admin` was given (then it is used). */
  bootstrapSecret: string | undefined;
  /** A session token of the admin created from `admin`. */
  adminToken: string | undefined;
  lampCount: number;
  stop(): Promise<void>;
}

export interface SimulatedLabOptions {
  /** Create this admin at start (else the first-run secret stays pending). */
  admin?: { username: string; password: string };
  /** More env, e.g. SIMULATOR_LAMPS, SIMULATOR_MODE, SIMULATOR_FAULTS, SIMULATOR_START. */
  env?: Record<string, string>;
}

export async function startSimulatedLab(opts: SimulatedLabOptions = {}): Promise<SimulatedLab> {
  const dir = await mkdtemp(join(tmpdir(), 'gadelys-simlab-'));
  const lab = await startLab(
    labEnv(dir, { SIMULATOR_INTERVAL_MS: '1000', ALARM_REPORT_INTERVAL_MS: '1000', ...opts.env }),
  ).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  const gateway = lab.services.find((s) => s.name === 'gateway') as RunningGateway;
  const base = `http://127.0.0.1:${gateway.port}`;
  let adminToken: string | undefined;
  let bootstrapSecret = gateway.bootstrapSecret;
  if (opts.admin && bootstrapSecret) {
    const post = (path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const boot = await post('/api/auth/bootstrap', { secret: bootstrapSecret, ...opts.admin });
    if (boot.status !== 201) throw new Error(`bootstrap: ${await boot.text()}`);
    const login = await post('/api/auth/login', opts.admin);
    adminToken = ((await login.json()) as { token: string }).token;
    bootstrapSecret = undefined;
  }
  return {
    base,
    gateway,
    bootstrapSecret,
    adminToken,
    lampCount: gateway.context.registry.lamps.length,
    async stop() {
      for (const s of [...lab.services].reverse()) await s.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

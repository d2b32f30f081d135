/**
 * A single-node lab of real processes for the faults-under-load suite: influxd (Debian 1.6.7),
 * the broker, the processor and the gateway each started by its own main.ts, on 127.0.0.1, with
 * ports fixed at start (a restarted broker or gateway comes back where its clients look for it),
 * the processor's spool on a small tmpfs (or, where mount is refused, a plain directory) so that
 * its disk can be filled, and the RSS of every service sampled once a second. Every process is
 * stopped by its PID.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Started, startProcess } from '../ecosystem/processes.ts';
import { startInfluxd, type TestInfluxd } from '../helpers/influxd.ts';
import { freePort } from '../helpers/ports.ts';

const root = new URL('../..', import.meta.url).pathname;
/** Process starts on this shared two-core machine take seconds each. */
const START_MS = 60_000;

export type ServiceName = 'broker' | 'processor' | 'gateway';

export interface RssSample {
  /** ms since the lab started */
  at: number;
  service: ServiceName;
  /** Which start of the service (0 = the first). */
  instance: number;
  rssMb: number;
}

export interface LabService {
  readonly name: ServiceName;
  readonly proc: Started;
  readonly pid: number;
  /** Starts of this service so far, minus one. */
  readonly instance: number;
  /** What the banner said (URLs), refreshed at each start. */
  readonly urls: Record<string, string>;
  /** SIGKILL, wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (then SIGKILL after 10 s), wait for the exit. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface FaultLab {
  dir: string;
  influxd: TestInfluxd;
  labSecret: string;
  mqttUrl: string;
  gatewayBase: string;
  spoolDir: string;
  /** How the spool's small disk is made: a tmpfs mount, or a plain directory (no mount here). */
  spoolDisk: 'tmpfs' | 'directory';
  services: Record<ServiceName, LabService>;
  rss: RssSample[];
  /** Env the in-process simulator needs to see the same inventory as the services. */
  inventoryEnv: Record<string, string>;
  stop(): Promise<void>;
}

export interface FaultLabOptions {
  /** Size of the spool's tmpfs, MB (the journal rolls 64 MB segments: leave room for two). */
  spoolMb: number;
  /** Extra env for every service. */
  env?: Record<string, string>;
}

/** Resident set of a process in MB, from /proc; undefined once it is gone. */
export function rssMbOf(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function mountTmpfs(dir: string, mb: number): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m,mode=0700`, 'tmpfs', dir], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

export async function startFaultLab(opts: FaultLabOptions): Promise<FaultLab> {
  const dir = await mkdtemp(join(tmpdir(), 'gadelys-faults-'));
  const spoolDir = join(dir, 'spool');
  await mkdir(spoolDir);
  const spoolDisk = mountTmpfs(spoolDir, opts.spoolMb) ? 'tmpfs' : 'directory';
  const rss: RssSample[] = [];
  const t0 = performance.now();
  const labSecret = `faults-under-load-${process.pid}`;
  let influxd: TestInfluxd | undefined;
  const started: LabService[] = [];
  let sampler: NodeJS.Timeout | undefined;

  const stop = async () => {
    clearInterval(sampler);
    for (const s of [...started].reverse()) await s.stop().catch(() => undefined);
    await influxd?.stop();
    if (spoolDisk === 'tmpfs') {
      try {
        execFileSync('umount', [spoolDir], { stdio: 'ignore' });
      } catch {
        // Still busy: the lazy unmount lets go once the last file is closed.
        execFileSync('umount', ['-l', spoolDir], { stdio: 'ignore' });
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    influxd = await startInfluxd({ database: 'gadelys' });
    const mqttPort = await freePort();
    const gatewayPort = await freePort();
    const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
    const inventoryEnv: Record<string, string> = {};
    const common: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      LAB_SECRET: labSecret,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      STORE: 'influxdb',
      INFLUX_URL: influxd.url,
      INFLUX_DATABASE: influxd.database,
      GATEWAY_DATA_DIR: join(dir, 'gateway'),
      ...inventoryEnv,
      ...opts.env,
    };
    const service = (
      name: ServiceName,
      entry: string,
      env: Record<string, string>,
      banner: Record<string, RegExp>,
    ): LabService => {
      let proc: Started | undefined;
      let instance = -1;
      const urls: Record<string, string> = {};
      const s: LabService = {
        name,
        get proc() {
          return proc!;
        },
        get pid() {
          return proc?.child.pid ?? 0;
        },
        get instance() {
          return instance;
        },
        urls,
        async kill() {
          const c = proc?.child;
          if (!c || c.exitCode !== null || c.signalCode !== null) return;
          const done = new Promise<void>((r) => c.once('exit', () => r()));
          c.kill('SIGKILL');
          await done;
        },
        async stop() {
          await proc?.stop();
        },
        async start() {
          proc = startProcess(process.execPath, ['--import', 'tsx', entry], {
            cwd: root,
            env: { ...common, ...env },
          });
          instance++;
          for (const [key, pattern] of Object.entries(banner)) {
            const m = await proc.waitFor(pattern, `the ${name}'s ${key}`, START_MS);
            urls[key] = m[1]!;
          }
        },
      };
      started.push(s);
      return s;
    };
    const broker = service(
      'broker',
      'services/broker/main.ts',
      {
        MQTT_PORT: String(mqttPort),
        BROKER_WS_ENABLED: 'false',
        BROKER_METRICS_PORT: '0',
      },
      { mqtt: /MQTT\s+(mqtt:\/\/127\.0\.0\.1:\d+)/, metrics: /metrics\s+(http:\S+)\/metrics/ },
    );
    await broker.start();
    const processor = service(
      'processor',
      'services/processor/main.ts',
      { MQTT_URL: mqttUrl, SPOOL_DIR: spoolDir, PROCESSOR_METRICS_PORT: '0' },
      { metrics: /processor metrics\s+(http:\S+)\/metrics/ },
    );
    await processor.start();
    const gateway = service(
      'gateway',
      'services/gateway/main.ts',
      { MQTT_URL: mqttUrl, PORT: String(gatewayPort) },
      { base: /gateway REST API\s+(http:\/\/[\d.:]+)\/api\// },
    );
    await gateway.start();

    const services = { broker, processor, gateway };
    sampler = setInterval(() => {
      const at = performance.now() - t0;
      for (const s of Object.values(services)) {
        const mb = s.pid ? rssMbOf(s.pid) : undefined;
        if (mb !== undefined) rss.push({ at, service: s.name, instance: s.instance, rssMb: mb });
      }
    }, 1_000);
    sampler.unref();

    return {
      dir,
      influxd,
      labSecret,
      mqttUrl,
      gatewayBase: gateway.urls.base!,
      spoolDir,
      spoolDisk,
      services,
      rss,
      inventoryEnv,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Whether a path is a mount point of its own (the tmpfs is there). */
export function isMounted(path: string): boolean {
  return (
    existsSync('/proc/self/mounts') &&
    readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[1] === path)
  );
}

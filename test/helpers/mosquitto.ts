/**
 * Start Debian's Mosquitto (2.0) on 127.0.0.1 with a temp config, for tests and benchmarks that
 * check our services against an external broker. Stopped by PID.
 *
 *   const m = await startMosquitto();                 // anonymous, like a dev install
 *   const m = await startMosquitto({ config: ['max_packet_size 1024'] });
 *   await m.stop();
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.ts';

export interface MosquittoOptions {
  /** Default true. With false, give `passwordFile` (mosquitto_passwd format). */
  allowAnonymous?: boolean;
  passwordFile?: string;
  aclFile?: string;
  /** Extra mosquitto.conf lines (applied to the listener). */
  config?: string[];
  /** Also listen for MQTT over WebSocket on a free port. */
  websockets?: boolean;
  binary?: string;
}

export interface RunningMosquitto {
  port: number;
  /** mqtt://127.0.0.1:<port> */
  url: string;
  /** ws://127.0.0.1:<wsPort> when `websockets` was asked for, else '' */
  wsUrl: string;
  pid: number;
  dir: string;
  /** What mosquitto wrote to stderr so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

async function attempt(opts: MosquittoOptions): Promise<RunningMosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'gadelys-mosquitto-'));
  const port = await freePort();
  const wsPort = opts.websockets ? await freePort() : 0;
  const lines = [
    // Run as root here: without this, mosquitto drops to user `mosquitto`, which cannot read the temp dir.
    'user root',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'per_listener_settings false',
    `allow_anonymous ${opts.allowAnonymous ?? true}`,
    ...(opts.passwordFile ? [`password_file ${opts.passwordFile}`] : []),
    ...(opts.aclFile ? [`acl_file ${opts.aclFile}`] : []),
    `listener ${port} 127.0.0.1`,
    ...(opts.config ?? []),
    ...(wsPort ? [`listener ${wsPort} 127.0.0.1`, 'protocol websockets'] : []),
  ];
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  const child: ChildProcess = spawn(opts.binary ?? '/usr/sbin/mosquitto', ['-c', conf], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      waitForPort(port),
      exited.then((code) => {
        throw new Error(`mosquitto exited with ${code}: ${output}`);
      }),
    ]);
    if (wsPort) await waitForPort(wsPort);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    wsUrl: wsPort ? `ws://127.0.0.1:${wsPort}` : '',
    pid: child.pid ?? 0,
    dir,
    output: () => output,
    stop,
  };
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<RunningMosquitto> {
  // A free port can be taken between probing and binding; try a few times.
  let last: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      return await attempt(opts);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

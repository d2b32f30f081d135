/**
 * Start Debian's influxd (1.6.7) for a test: a temp dir, free ports on 127.0.0.1, one database.
 * `stop()` ends it for good (SIGTERM, then SIGKILL) and removes the dir; `kill()` stops the
 * process but keeps the data, and `restart()` brings it back on the same port and data, so tests
 * can simulate an outage. Processes are stopped by PID, never by name.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, GiveUp } from './eventually.ts';
import { freePort } from './ports.ts';

export interface TestInfluxd {
  /** http://127.0.0.1:<port> */
  url: string;
  database: string;
  dir: string;
  /** Stop the server and delete its data. */
  stop(): Promise<void>;
  /** Stop the server (SIGTERM, or SIGKILL with `{hard: true}`) and keep its data. */
  kill(opts?: { hard?: boolean }): Promise<void>;
  /** Start it again on the same port and data dir; resolves when /ping answers. */
  restart(): Promise<void>;
  readonly running: boolean;
  /** Send the server a signal (SIGSTOP / SIGCONT: a store that hangs, then comes back). */
  signal(sig: NodeJS.Signals): void;
}

function config(dir: string, httpPort: number, rpcPort: number): string {
  return `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
  logging-enabled = false
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
  cache-snapshot-write-cold-duration = "10s"
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
[http]
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
  pprof-enabled = false
[logging]
  level = "warn"
`;
}

async function waitForPing(url: string, child: ChildProcess, output: () => string): Promise<void> {
  // influxd answers within ~20 ms here; one that exits (a bad config, a port taken meanwhile)
  // fails at once.
  await eventually(
    'influxd to answer /ping',
    async () => {
      if (child.exitCode !== null)
        throw new GiveUp(`influxd exited (${child.exitCode}): ${output()}`);
      return (await fetch(`${url}/ping`)).status === 204;
    },
    { detail: output },
  );
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startInfluxd(opts: { database?: string } = {}): Promise<TestInfluxd> {
  const database = opts.database ?? 'gadelys_test';
  const dir = mkdtempSync(join(tmpdir(), 'gadelys-influxd-'));
  const httpPort = await freePort();
  const rpcPort = await freePort();
  const url = `http://127.0.0.1:${httpPort}`;
  const confPath = join(dir, 'influxdb.conf');
  writeFileSync(confPath, config(dir, httpPort, rpcPort));
  let child: ChildProcess | undefined;
  let log = '';

  const launch = async () => {
    log = '';
    const c = spawn('influxd', ['run', '-config', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    const keep = (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
    };
    c.stdout?.on('data', keep);
    c.stderr?.on('data', keep);
    await waitForPing(url, c, () => log);
  };
  const kill = async ({ hard = false } = {}) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const done = exited(c);
    c.kill(hard ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
    await done;
    clearTimeout(timer);
  };

  await launch();
  const res = await fetch(`${url}/query`, {
    method: 'POST',
    body: new URLSearchParams({ q: `CREATE DATABASE "${database}"` }),
  });
  if (!res.ok) throw new Error(`CREATE DATABASE failed: ${res.status} ${await res.text()}`);

  return {
    url,
    database,
    dir,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    kill,
    signal: (sig) => {
      child?.kill(sig);
    },
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Run an InfluxQL query against a test server; returns the first result's series. */
export async function influxQuery(
  url: string,
  database: string,
  q: string,
): Promise<
  { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[]
> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ db: database, q, epoch: 'ms' })}`);
  const body = (await res.json()) as {
    results?: { series?: never[]; error?: string }[];
    error?: string;
  };
  const first = body.results?.[0];
  if (body.error || first?.error) throw new Error(body.error ?? first?.error);
  return first?.series ?? [];
}

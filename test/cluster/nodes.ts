/**
 * Broker cluster nodes for tests: in this process (startTestBroker with the cluster variables), or
 * as a child process running services/broker/main.ts, so that a test can SIGKILL it: the node
 * vanishes without closing its sessions, as a crashed machine does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { startTestBroker, type TestBroker, type TestBrokerOptions } from '../helpers/broker.ts';
import { eventually, GiveUp } from '../helpers/eventually.ts';
import { freePort } from '../helpers/ports.ts';

/** Beats fast enough that a lost node's wills fire within a couple of seconds. */
export const TEST_HEARTBEAT_MS = 300;

export const clusterEnv = (
  redisUrl: string,
  nodeId: string,
  extra: Record<string, string> = {},
) => ({
  BROKER_CLUSTER_REDIS_URL: redisUrl,
  BROKER_CLUSTER_NODE_ID: nodeId,
  BROKER_CLUSTER_HEARTBEAT_MS: String(TEST_HEARTBEAT_MS),
  BROKER_WS_ENABLED: 'false',
  ...extra,
});

export function startNode(
  redisUrl: string,
  nodeId: string,
  opts: TestBrokerOptions & { labSecret: string },
): Promise<TestBroker> {
  return startTestBroker({ ...opts, env: clusterEnv(redisUrl, nodeId, opts.env) });
}

export interface ChildNode {
  url: string;
  /** SIGKILL: no DISCONNECT, no will handling, no cleanup, as a lost machine. */
  kill(): Promise<void>;
  output(): string;
}

export async function startChildNode(
  redisUrl: string,
  nodeId: string,
  labSecret: string,
  extra: Record<string, string> = {},
): Promise<ChildNode> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'services/broker/main.ts'],
    {
      env: {
        PATH: process.env.PATH,
        LAB_SECRET: labSecret,
        MQTT_PORT: String(port),
        BROKER_HOST: '127.0.0.1',
        BROKER_METRICS_PORT: '0',
        LOG_LEVEL: 'warn',
        ...clusterEnv(redisUrl, nodeId, extra),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    // main.ts prints its banner once every listener is bound.
    await eventually(
      `broker node ${nodeId} to listen`,
      () => {
        if (child.exitCode !== null) throw new GiveUp(`node ${nodeId} exited: ${log}`);
        return log.includes(`mqtt://127.0.0.1:${port}`);
      },
      { timeoutMs: 30_000, detail: () => log },
    );
  } catch (err) {
    await kill();
    throw err;
  }
  return { url: `mqtt://127.0.0.1:${port}`, kill, output: () => log };
}

/** Small tools shared by the broker's integration tests. */
import { execFile } from 'node:child_process';
import { createConnection } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { createRegistry, loadCatalog, type Registry } from '../../shared/registry/index.ts';

/** Messages a client receives, in order. */
export function collect(client: MqttClient): { topic: string; payload: string; retain: boolean }[] {
  const got: { topic: string; payload: string; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) =>
    got.push({ topic, payload: payload.toString(), retain: packet.retain }),
  );
  return got;
}

export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (client.disconnected || !client.connected) return resolve();
    client.once('close', () => resolve());
  });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command line tool (mosquitto_pub/sub) with a bound on its run time. */
export function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** A registry of `n` lamps in segments of 25 (the DOLL route has 280; scale tests need more). */
export function syntheticRegistry(n: number): Registry {
  const catalog = loadCatalog();
  const modelId = catalog.models[0]!.id;
  const segments = Array.from({ length: Math.ceil(n / 25) }, (_, s) => ({
    id: `seg-${s + 1}`,
    name: `Segment ${s + 1}`,
    controllerId: `ctl-${s + 1}`,
  }));
  const lamps = Array.from({ length: n }, (_, i) => {
    const s = segments[Math.floor(i / 25)]!;
    return {
      id: `LAMP-${String(i + 1).padStart(5, '0')}`,
      lon: 12.36 + i * 1e-4,
      lat: 55.68,
      distanceM: i * 30,
      segmentId: s.id,
      controllerId: s.controllerId,
      modelId,
      poleHeightM: 8,
    };
  });
  return createRegistry(catalog, {
    lamps,
    segments,
    approximate: true,
    source: 'synthetic test registry',
  });
}

export interface ConnectOutcome {
  /** CONNACK return code: 0 accepted; -1 when the socket closed without one (cut by the broker). */
  code: number;
  /** From the CONNECT to the answer. */
  ms: number;
}

/**
 * One CONNECT from a chosen loopback address (127.0.0.2, 127.0.0.3, ...: Linux routes all of
 * 127/8 to lo), so per-address limits can be tried without other machines. Closes the client.
 */
export function connectFrom(
  port: number,
  localAddress: string,
  opts: { clientId: string; username?: string; password?: string },
): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const client = new mqtt.MqttClient(
      () => createConnection({ host: '127.0.0.1', port, localAddress }),
      { ...opts, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 30_000, keepalive: 0 },
    );
    let done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      const ms = performance.now() - started;
      client.end(true, () => resolve({ code, ms }));
    };
    client.once('connect', () => finish(0));
    client.once('error', (err) =>
      finish(
        typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1,
      ),
    );
    client.once('close', () => finish(-1));
  });
}

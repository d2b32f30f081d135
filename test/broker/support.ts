/** Small tools shared by the broker's integration tests. */
import { execFile } from 'node:child_process';
import type { MqttClient } from 'mqtt';
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

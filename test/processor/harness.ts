/**
 * Shared pieces of the processor's end-to-end tests: config for a test run, a publisher that
 * waits for every PUBACK, and reading generators with distinct timestamps.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { loadProcessorConfig } from '../../services/processor/config.ts';
import type { Telemetry } from '../../shared/contract/telemetry.ts';
import { topics } from '../../shared/contract/topics.ts';
import type { Registry } from '../../shared/registry/index.ts';
import type { TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';

export function processorEnv(
  broker: { url: string; labSecret?: string },
  over: Record<string, string> = {},
): Record<string, string> {
  return {
    MQTT_URL: broker.url,
    ...(broker.labSecret ? { LAB_SECRET: broker.labSecret } : {}),
    SPOOL_DIR: mkdtempSync(join(tmpdir(), 'gadelys-spool-')),
    PROCESSOR_CLIENT_ID: `processor-e2e-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    PROCESSOR_METRICS_PORT: '0',
    PROCESSOR_FLUSH_INTERVAL_MS: '50',
    PROCESSOR_RETRY_MAX_MS: '300',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    ...over,
  };
}

export const processorConfig = (env: Record<string, string>) => loadProcessorConfig(env);

export async function connect(broker: TestBroker, who: string): Promise<MqttClient> {
  return mqtt.connectAsync(broker.url, {
    ...broker.credentialsFor(who),
    reconnectPeriod: 0,
    protocolVersion: 4,
  });
}

/** Publish at QoS1; resolves when the broker acknowledged every message. */
export async function publishAll(
  client: MqttClient,
  messages: { topic: string; payload: string | Buffer }[],
) {
  await Promise.all(messages.map((m) => client.publishAsync(m.topic, m.payload, { qos: 1 })));
}

/** A base time a little in the past, on a whole second, so device timestamps pass skew checks. */
export const baseTime = () => Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

/** Reading i of a lamp: one per second from `t0`, with values that identify it. */
export function reading(lampId: string, i: number, t0: number): Telemetry {
  return {
    lampId,
    seq: i,
    ts: t0 + i * 1000,
    targetLevel: 50,
    actualLevel: 50,
    activePower: 1000 + i,
    activeEnergy: 10 + i / 1000,
    supplyVoltage: 230,
    supplyCurrent: 0.2,
    powerFactor: 0.9,
    operatingHours: 10,
    switchOnCounter: 1,
    gearTemperature: 30,
  };
}

export const telemetryMessage = (r: Telemetry) => ({
  topic: topics.telemetry(r.lampId),
  payload: JSON.stringify(r),
});

/** Segment batches covering readings [from, to) of every lamp of a segment. */
export function batchMessages(
  registry: Registry,
  segmentId: string,
  from: number,
  to: number,
  t0: number,
) {
  const segment = registry.segment(segmentId)!;
  const out = [];
  for (let i = from; i < to; i++) {
    const readings = segment.lampIds.map((id) => reading(id, i, t0));
    out.push({
      topic: topics.batch(segmentId),
      payload: JSON.stringify({
        segmentId,
        controllerId: segment.controllerId,
        ts: t0 + i * 1000,
        readings,
      }),
    });
  }
  return out;
}

/**
 * The processor as its own process (`services/processor/main.ts`) with this env; resolves once
 * it printed its banner. Children go into `children`, for the test to SIGKILL what is left.
 */
export async function spawnProcessor(
  env: Record<string, string>,
  children: ChildProcess[],
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/processor/main.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  await eventually(
    "the processor's banner or its exit",
    () => out.includes('gadelys processor') || child.exitCode !== null,
    { timeoutMs: 30_000, detail: () => out },
  );
  if (child.exitCode !== null) throw new Error(`processor did not start: ${out}`);
  return child;
}

/** Resolves with the exit code once the process has ended (null: by a signal). */
export function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/**
 * `npm run bench -- simulator`: CPU and memory of the route simulator per 1,000 lamps, each lamp
 * its own MQTT connection reporting every second, against a real Mosquitto in another process
 * (so the broker's CPU is not counted). Baseline, same run: one mqtt.js connection publishing the
 * same readings at the same rate; the ratio is the simulator's cost per message over that.
 * BENCH_SIM_LAMPS=1000,5000,10000 and BENCH_SIM_SECONDS=20 change the sizes and window.
 */
import mqtt from 'mqtt';
import { silentLogger } from '../shared/log.ts';
import { loadRegistry } from '../shared/registry/index.ts';
import { loadSimulatorConfig } from '../simulator/config.ts';
import { startSimulator } from '../simulator/simulator.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import type { BenchResult } from './result.ts';

const SIZES = (process.env.BENCH_SIM_LAMPS ?? '1000,5000,10000').split(',').map(Number);
const WINDOW_S = Number(process.env.BENCH_SIM_SECONDS ?? 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** One connection publishing `rate` telemetry-sized QoS1 messages a second, for `seconds`. */
async function baseline(url: string, rate: number, seconds: number, sample: string) {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'bench-baseline' });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let sent = 0;
  const tickMs = 50;
  for (let tick = 0; tick < (seconds * 1000) / tickMs; tick++) {
    const due = Math.round(((tick + 1) * tickMs * rate) / 1000) - sent;
    for (let i = 0; i < due; i++)
      client.publish('gadelys/v1/lamp/DOLL-0001/telemetry', sample, { qos: 1 });
    sent += due;
    const wait = t0 + (tick + 1) * tickMs - performance.now();
    if (wait > 0) await sleep(wait);
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  await client.endAsync();
  return { cpu, wall, sent };
}

export async function run(): Promise<BenchResult> {
  const mosquitto = await startMosquitto({
    config: ['max_connections -1', 'max_queued_messages 100000'],
  });
  const registry = loadRegistry();
  const metrics: BenchResult['metrics'] = {};
  const ratios: BenchResult['ratios'] = {};
  const notes: string[] = [];
  try {
    for (const lamps of SIZES) {
      gc();
      const rss0 = process.memoryUsage().rss;
      const tConnect = performance.now();
      const sim = await startSimulator(
        loadSimulatorConfig({
          MQTT_URL: mosquitto.url,
          SIMULATOR_LAMPS: String(lamps),
          SIMULATOR_INTERVAL_MS: '1000',
          SIMULATOR_PROGRAM: 'adaptive',
          LOG_LEVEL: 'silent',
        }),
        { registry, log: silentLogger, labSecret: 'bench' },
      );
      const connectS = (performance.now() - tConnect) / 1000;
      await sleep(3_000); // let the first burst of births and subscriptions settle
      const s0 = sim.stats();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await sleep(WINDOW_S * 1000);
      const cpu = cpuSeconds(process.cpuUsage(cpu0));
      const wall = (performance.now() - t0) / 1000;
      const s1 = sim.stats();
      gc();
      const rss = process.memoryUsage().rss;
      const sample = JSON.stringify({
        lampId: 'DOLL-0001',
        seq: 1,
        ts: Date.now(),
        targetLevel: 20,
        actualLevel: 20,
        activePower: 11.26,
        activeEnergy: 1234.5678,
        supplyVoltage: 231.2,
        supplyCurrent: 0.071,
        powerFactor: 0.68,
        operatingHours: 23456.789,
        switchOnCounter: 2345,
        gearTemperature: 11.2,
        presenceCount: 0,
      });
      await sim.stop();
      const msgs = s1.published - s0.published;
      const rate = msgs / wall;
      const base = await baseline(mosquitto.url, rate, Math.min(10, WINDOW_S), sample);
      const simPerMsg = cpu / msgs;
      const basePerMsg = base.cpu / base.sent;
      const k = `${lamps}`;
      metrics[`${k} lamps: connected`] = `${s1.connected}/${s1.connections}`;
      metrics[`${k} lamps: connect time s`] = Number(connectS.toFixed(1));
      metrics[`${k} lamps: msg/s published`] = Math.round(rate);
      metrics[`${k} lamps: dropped (not connected)`] = s1.dropped - s0.dropped;
      metrics[`${k} lamps: CPU % of one core`] = Number(((100 * cpu) / wall).toFixed(1));
      metrics[`${k} lamps: CPU % per 1000 lamps`] = Number(
        ((100 * cpu) / wall / (lamps / 1000)).toFixed(2),
      );
      metrics[`${k} lamps: RSS MB`] = Math.round(rss / 2 ** 20);
      metrics[`${k} lamps: RSS MB per 1000 lamps (over idle)`] = Number(
        ((rss - rss0) / 2 ** 20 / (lamps / 1000)).toFixed(1),
      );
      metrics[`${k} lamps: baseline CPU % at same msg/s, 1 connection`] = Number(
        ((100 * base.cpu) / base.wall).toFixed(1),
      );
      ratios[`${k} lamps: CPU per message / baseline`] = simPerMsg / basePerMsg;
      ratios[`${k} lamps: msg/s / lamps`] = rate / lamps;
      await sleep(2_000);
    }
    notes.push(
      `window ${WINDOW_S} s per size; broker: Mosquitto in its own process; QoS 1 telemetry; program adaptive with traffic 120/h`,
      'CPU and RSS are of this process only (simulator + mqtt.js); 2-core machine shared with other engineers: expect noise',
    );
  } finally {
    await mosquitto.stop();
  }
  return { name: 'simulator', metrics, ratios, notes };
}

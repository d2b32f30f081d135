/**
 * `startSimulator`: the route simulator as a service the lab (or main.ts) starts in-process.
 */
import { deriveDevicePassword } from '../shared/auth/deviceCredentials.ts';
import { mqttPasswordOf } from '../shared/auth/serviceAccounts.ts';
import { LIMITS } from '../shared/contract/index.ts';
import type { Logger } from '../shared/log.ts';
import { BUILTIN_PROGRAMS } from '../shared/programs/programs.ts';
import type { Registry } from '../shared/registry/index.ts';
import type { RunningService } from '../shared/service.ts';
import { createSimClock, defaultStart } from './clock.ts';
import { SIMULATOR_DEFAULTS, type SimulatorConfig } from './config.ts';
import { type FaultKind, type FaultSpec, parseFaultSpec } from './faults.ts';
import { scaleRegistry, simLamps } from './fleet.ts';
import { type Outbound, Simulation } from './Simulation.ts';
import { startTransport } from './transport.ts';

export interface SimulatorDeps {
  registry: Registry;
  log: Logger;
  /** Device passwords derive from it (shared/auth/deviceCredentials.ts). */
  labSecret: string;
  /** Wall clock; injectable for tests. */
  now?: () => number;
  /** Each publish's outcome (the resilience suite counts acknowledged readings with it). */
  onPublished?: (out: Outbound, acked: boolean) => void;
}

export interface SimulatorStats {
  lamps: number;
  connections: number;
  connected: number;
  published: number;
  dropped: number;
  /** Messages published per wall-clock second, over the last few seconds. */
  messagesPerSecond: number;
  commands: number;
  commandsRejected: number;
  acks: number;
  events: number;
  garbage: number;
  detections: number;
  roadUsers: number;
  faults: number;
  /** Device time, epoch ms. */
  simTime: number;
  speed: number;
}

export interface RunningSimulator extends RunningService {
  readonly simulation: Simulation;
  /** The registry simulated (scaled when SIMULATOR_LAMPS differs from the route's size). */
  readonly registry: Registry;
  /** Switch a fault on (`kind:target[:k=v]` or a spec); returns the lamp ids it applies to. */
  injectFault(spec: FaultSpec | string): string[];
  /** Switch faults off on a lamp, a segment or `*`; every kind unless one is named. */
  clearFault(target: string, kind?: FaultKind): string[];
  stats(): SimulatorStats;
}

/** Parse a fault spec or throw with the reason. */
export function toFaultSpec(spec: FaultSpec | string): FaultSpec {
  if (typeof spec !== 'string') return spec;
  const parsed = parseFaultSpec(spec);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.spec;
}

export async function startSimulator(
  config: SimulatorConfig,
  deps: SimulatorDeps,
): Promise<RunningSimulator> {
  const now = deps.now ?? Date.now;
  const log = deps.log;
  const registry =
    config.SIMULATOR_LAMPS > 0
      ? scaleRegistry(deps.registry, config.SIMULATOR_LAMPS)
      : deps.registry;
  const startWall = now();
  const speed = config.SIMULATOR_SPEED;
  const startSim = config.SIMULATOR_START
    ? Date.parse(config.SIMULATOR_START)
    : defaultStart(startWall, speed);
  const clock = createSimClock(startSim, startWall, speed);
  if (startSim > startWall + LIMITS.maxFutureSkewMs || (speed > 1 && clock.catchUpWall === null)) {
    log.warn(
      { start: new Date(startSim).toISOString(), speed },
      'device time runs ahead of wall time: consumers reject timestamps more than 5 minutes ahead',
    );
  }
  const faults = config.SIMULATOR_FAULTS.split(/[\s;]+/)
    .filter(Boolean)
    .map((f) => toFaultSpec(f));
  const sim = new Simulation(
    {
      lamps: simLamps(registry, config.SIMULATOR_SEED),
      mode: config.SIMULATOR_MODE,
      clock,
      intervalMs: config.SIMULATOR_INTERVAL_MS,
      jitter: config.SIMULATOR_JITTER,
      seed: config.SIMULATOR_SEED,
      program: BUILTIN_PROGRAMS[config.SIMULATOR_PROGRAM],
      trafficPerHour: config.SIMULATOR_TRAFFIC_PER_HOUR,
    },
    startWall,
  );
  for (const f of faults) sim.injectFault(f, startWall);

  let published = 0;
  const servicePassword =
    mqttPasswordOf('simulator', config.SIMULATOR_MQTT_PASSWORD, deps.labSecret) ?? '';
  // Early lamps are subscribed (and may get commands) while later ones still connect, before
  // startTransport returns: their answers wait here until the transport is there.
  let transport: Awaited<ReturnType<typeof startTransport>> | undefined;
  const early: Outbound[] = [];
  const send = (out: Outbound[]) => {
    if (!transport) {
      early.push(...out);
      return;
    }
    for (const o of out) if (transport.publish(o)) published++;
  };
  transport = await startTransport({
    url: config.MQTT_URL,
    sim,
    credentials: (via) =>
      config.SIMULATOR_CREDENTIALS === 'service'
        ? { username: config.SIMULATOR_MQTT_USERNAME, password: servicePassword }
        : { username: via, password: deriveDevicePassword(deps.labSecret, via) },
    keepaliveS: config.SIMULATOR_KEEPALIVE_S,
    reconnectMs: config.SIMULATOR_RECONNECT_MS,
    connectConcurrency: config.SIMULATOR_CONNECT_CONCURRENCY,
    now,
    log,
    onCommand: (lampId, payload) => send(sim.command(lampId, payload, now())),
    ...(deps.onPublished ? { onPublished: deps.onPublished } : {}),
  });
  send(early.splice(0));

  // One timer for every lamp: the engine finds what is due.
  const timer = setInterval(() => {
    try {
      send(sim.tick(now()));
    } catch (err) {
      log.error({ err }, 'simulation tick failed');
    }
  }, SIMULATOR_DEFAULTS.tickMs);

  const rate: { at: number; published: number }[] = [];
  const rateTimer = setInterval(() => {
    rate.push({ at: now(), published });
    if (rate.length > 6) rate.shift();
  }, 1_000);
  rateTimer.unref();

  log.info(
    {
      lamps: sim.states.size,
      mode: config.SIMULATOR_MODE,
      connected: transport.connected(),
      start: new Date(startSim).toISOString(),
      speed,
    },
    'simulator started',
  );

  let stopped = false;
  return {
    name: 'simulator',
    simulation: sim,
    registry,
    endpoints: [
      {
        label: `${sim.states.size} lamps (${config.SIMULATOR_MODE} mode) via`,
        url: config.MQTT_URL,
      },
    ],
    injectFault(spec) {
      const s = toFaultSpec(spec);
      const lamps = sim.injectFault(s, now());
      log.info({ fault: s.kind, target: s.target, lamps: lamps.length }, 'fault injected');
      return lamps;
    },
    clearFault(target, kind) {
      return sim.clearFault(target, now(), kind);
    },
    stats() {
      const c = sim.counters;
      const first = rate[0];
      const dt = first ? (now() - first.at) / 1000 : 0;
      return {
        lamps: sim.states.size,
        connections: sim.connections().length,
        connected: transport.connected(),
        published,
        dropped: transport.dropped,
        messagesPerSecond: first && dt > 0 ? Math.round((published - first.published) / dt) : 0,
        commands: c.commands,
        commandsRejected: c.commandsRejected,
        acks: c.acks,
        events: c.events,
        garbage: c.garbage,
        detections: c.detections,
        roadUsers: sim.roadUsers(),
        faults: sim.activeFaults().length,
        simTime: sim.simAt(now()),
        speed,
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      clearInterval(rateTimer);
      await transport.stop();
    },
  };
}

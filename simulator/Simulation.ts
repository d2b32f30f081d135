/**
 * The simulation engine: every lamp's state, one scheduler for all of them, traffic, faults and
 * commands. It does no I/O: `tick(wallNow)` and `command(...)` return the MQTT messages to send,
 * and the transport sends them. Tests drive it with a fake wall clock.
 */
import { type LampStatus, LIMITS, type NightProgram, topics } from '../shared/contract/index.ts';
import {
  ambientTemperature,
  localParts,
  skyIlluminance,
  sunAltitude,
} from '../shared/programs/astro.ts';
import { createRandom } from '../shared/random.ts';
import type { SimClock } from './clock.ts';
import { appliedAck, type CommandContext, handleCommand } from './commands.ts';
import { FAULT_DEFAULTS, FAULT_EVENT, type FaultKind, type FaultSpec } from './faults.ts';
import type { SimLamp } from './fleet.ts';
import { garbageBatch, garbageTelemetry } from './garbage.ts';
import {
  advance,
  createLampState,
  deviceTs,
  type Environment,
  type LampState,
  reading,
} from './lamp.ts';
import { lowerBound, type RoadUser, stepTraffic } from './presence.ts';

export type SimMode = 'lamp' | 'segment';

export interface SimulationOptions {
  lamps: readonly SimLamp[];
  mode: SimMode;
  clock: SimClock;
  /** Reporting interval per lamp (lamp mode) or per controller (segment mode), wall-clock ms. */
  intervalMs: number;
  /** Each interval varies by up to this fraction either way. */
  jitter: number;
  seed: number;
  program: NightProgram;
  /** Road users entering each route per hour at the busiest hour. */
  trafficPerHour: number;
  firmware?: string;
}

export interface Outbound {
  /** The connection that sends it: the lamp id (lamp mode) or the controller id (segment mode). */
  via: string;
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
  kind: 'telemetry' | 'batch' | 'status' | 'event' | 'ack' | 'garbage';
}

interface Unit {
  via: string;
  segmentId: string;
  states: LampState[];
  nextDue: number;
}

interface Route {
  lengthM: number;
  /** Lamps in route order and their distances, for presence look-ahead. */
  states: LampState[];
  distances: number[];
  sensorDistances: number[];
  users: RoadUser[];
}

export interface SimulationCounters {
  telemetry: number;
  batches: number;
  garbage: number;
  events: number;
  commands: number;
  commandsRejected: number;
  acks: number;
  detections: number;
}

export class Simulation {
  readonly states = new Map<string, LampState>();
  readonly counters: SimulationCounters = {
    telemetry: 0,
    batches: 0,
    garbage: 0,
    events: 0,
    commands: 0,
    commandsRejected: 0,
    acks: 0,
    detections: 0,
  };
  private readonly units: Unit[] = [];
  private readonly unitByVia = new Map<string, Unit>();
  private readonly routes: Route[] = [];
  private readonly rnd: () => number;
  private readonly envCache = new Map<number, Environment>();
  private readonly pending = new Set<LampState>();
  private lastTrafficSim: number;
  private garbageCount = 0;

  constructor(
    private readonly opts: SimulationOptions,
    startWall: number,
  ) {
    this.rnd = createRandom(opts.seed);
    const t = opts.clock.at(startWall);
    this.lastTrafficSim = t;
    const env = this.envAt(t);
    for (const lamp of opts.lamps) {
      this.states.set(lamp.id, createLampState(lamp, opts.program, t, env, opts.seed));
    }
    const all = [...this.states.values()];
    const groups = new Map<string, LampState[]>();
    for (const s of all) {
      const key = opts.mode === 'lamp' ? s.lamp.id : s.lamp.segmentId;
      const list = groups.get(key);
      if (list) list.push(s);
      else groups.set(key, [s]);
    }
    for (const states of groups.values()) {
      const first = states[0]!.lamp;
      const via = opts.mode === 'lamp' ? first.id : first.controllerId;
      // Spread the first reports over one interval so the lamps do not report in lock-step.
      const unit = {
        via,
        segmentId: first.segmentId,
        states,
        nextDue: startWall + this.rnd() * opts.intervalMs,
      };
      this.units.push(unit);
      this.unitByVia.set(via, unit);
    }
    const byRoute = new Map<number, LampState[]>();
    for (const s of all) {
      const list = byRoute.get(s.lamp.route);
      if (list) list.push(s);
      else byRoute.set(s.lamp.route, [s]);
    }
    for (const states of byRoute.values()) {
      states.sort((a, b) => a.lamp.distanceM - b.lamp.distanceM);
      const distances = states.map((s) => s.lamp.distanceM);
      this.routes.push({
        lengthM: (distances[distances.length - 1] ?? 0) + 20,
        states,
        distances,
        sensorDistances: states
          .filter((s) => s.lamp.hasPresenceSensor)
          .map((s) => s.lamp.distanceM),
        users: [],
      });
    }
  }

  /** Device time at a wall instant. */
  simAt(wall: number): number {
    return this.opts.clock.at(wall);
  }

  /** Environment by whole device minute, shared by every lamp. */
  envAt(t: number): Environment {
    const minute = Math.floor(t / 60_000);
    let env = this.envCache.get(minute);
    if (!env) {
      const p = localParts(t);
      env = {
        skyLux: skyIlluminance(sunAltitude(t)),
        ambientC: ambientTemperature(t),
        localHour: p.hour + p.minute / 60,
      };
      if (this.envCache.size > 64) this.envCache.clear();
      this.envCache.set(minute, env);
    }
    return env;
  }

  private readonly envFn = (t: number) => this.envAt(t);

  /** Bring one lamp to device time t. */
  advanceLamp(s: LampState, t: number): void {
    advance(s, t, this.envFn);
  }

  /** Retained `online` status of each lamp a connection speaks for (its birth message). */
  birth(via: string, wall: number): Outbound[] {
    return this.lampsVia(via).map((s) => this.status(s, 'online', wall));
  }

  /** Retained `offline` status for a clean shutdown. */
  shutdown(via: string, wall: number): Outbound[] {
    return this.lampsVia(via).map((s) => this.status(s, 'offline', wall, 'shutdown'));
  }

  /** A lamp's last will: `offline`, retained, published by the broker if the lamp vanishes. */
  lastWill(lampId: string, wall: number): { topic: string; payload: string } {
    const s = this.states.get(lampId)!;
    const status: LampStatus = { lampId, state: 'offline', ts: deviceTs(s, this.simAt(wall)) };
    return { topic: topics.status(lampId), payload: JSON.stringify(status) };
  }

  /** Connection ids: lamp ids in lamp mode, controller ids in segment mode. */
  connections(): string[] {
    return this.units.map((u) => u.via);
  }

  lampsVia(via: string): LampState[] {
    return this.unitByVia.get(via)?.states ?? [];
  }

  private status(
    s: LampState,
    state: 'online' | 'offline',
    wall: number,
    reason?: string,
  ): Outbound {
    const status: LampStatus = {
      lampId: s.lamp.id,
      state,
      ts: deviceTs(s, this.simAt(wall)),
      firmware: this.opts.firmware ?? 'gadelys-sim/0.1',
      vendor: s.lamp.vendorId,
      model: s.lamp.model.id,
    };
    if (reason) status.reason = reason;
    return {
      via: this.viaOf(s),
      topic: topics.status(s.lamp.id),
      payload: JSON.stringify(status),
      qos: 1,
      retain: true,
      kind: 'status',
    };
  }

  private viaOf(s: LampState): string {
    return this.opts.mode === 'lamp' ? s.lamp.id : s.lamp.controllerId;
  }

  private ctx(wall: number): CommandContext {
    return { wallNow: wall, simNow: this.simAt(wall), toSim: (w) => this.simAt(w) };
  }

  /** A command payload that arrived on a lamp's cmd topic. Returns the acks to publish. */
  command(lampId: string, payload: Uint8Array | string, wall: number): Outbound[] {
    const s = this.states.get(lampId);
    if (!s || s.faults.has('commsLoss')) return [];
    this.counters.commands++;
    const ctx = this.ctx(wall);
    this.advanceLamp(s, ctx.simNow);
    const result = handleCommand(s, payload, ctx);
    if (!result.ok) this.counters.commandsRejected++;
    if (s.pendingApplied) this.pending.add(s);
    return result.acks.map((a) => this.out(s, topics.ack(lampId), JSON.stringify(a), 'ack'));
  }

  private out(s: LampState, topic: string, payload: string, kind: Outbound['kind']): Outbound {
    if (kind === 'ack') this.counters.acks++;
    if (kind === 'event') this.counters.events++;
    return { via: this.viaOf(s), topic, payload, qos: 1, retain: false, kind };
  }

  /** Everything due at this wall instant: traffic, applied acks, and the reports that are due. */
  tick(wall: number): Outbound[] {
    const simNow = this.simAt(wall);
    const out: Outbound[] = [];
    this.stepTraffic(simNow);
    const ctx = this.ctx(wall);
    for (const s of this.pending) {
      this.advanceLamp(s, simNow);
      const a = appliedAck(s, ctx);
      if (a) {
        this.pending.delete(s);
        if (!s.faults.has('commsLoss'))
          out.push(this.out(s, topics.ack(s.lamp.id), JSON.stringify(a), 'ack'));
      } else if (!s.pendingApplied) this.pending.delete(s);
    }
    for (const u of this.units) {
      if (wall < u.nextDue) continue;
      const j = this.opts.jitter * (2 * this.rnd() - 1);
      u.nextDue += this.opts.intervalMs * (1 + j);
      // After a stall, skip the backlog rather than burst: a real lamp reports when it can.
      if (u.nextDue <= wall) u.nextDue = wall + this.opts.intervalMs * this.rnd();
      this.report(u, simNow, out);
    }
    return out;
  }

  private report(u: Unit, simNow: number, out: Outbound[]): void {
    const env = this.envAt(simNow);
    const readings = [];
    let garbageSample = null;
    for (const s of u.states) {
      this.advanceLamp(s, simNow);
      if (s.faults.has('commsLoss')) continue;
      this.events(s, out);
      const r = reading(s, env, this.rnd());
      if (s.faults.has('garbage')) {
        this.counters.garbage++;
        if (this.opts.mode === 'lamp') {
          out.push({
            ...this.out(
              s,
              topics.telemetry(s.lamp.id),
              garbageTelemetry(this.garbageCount++, r),
              'garbage',
            ),
            qos: 0,
          });
        } else garbageSample = r;
        continue;
      }
      if (this.opts.mode === 'lamp') {
        this.counters.telemetry++;
        out.push({
          ...this.out(s, topics.telemetry(s.lamp.id), JSON.stringify(r), 'telemetry'),
          qos: 1,
        });
      } else readings.push(r);
    }
    if (this.opts.mode !== 'segment') return;
    const controllerId = u.via;
    for (let i = 0; i < readings.length; i += LIMITS.maxBatchReadings) {
      const chunk = readings.slice(i, i + LIMITS.maxBatchReadings);
      const batch = { segmentId: u.segmentId, controllerId, ts: chunk[0]!.ts, readings: chunk };
      this.counters.batches++;
      this.counters.telemetry += chunk.length;
      out.push({
        via: controllerId,
        topic: topics.batch(u.segmentId),
        payload: JSON.stringify(batch),
        qos: 1,
        retain: false,
        kind: 'batch',
      });
    }
    if (garbageSample) {
      const payload = garbageBatch(this.garbageCount++, u.segmentId, controllerId, garbageSample);
      out.push({
        via: controllerId,
        topic: topics.batch(u.segmentId),
        payload,
        qos: 0,
        retain: false,
        kind: 'garbage',
      });
    }
  }

  /** Publish fault events as they start and end (the lamp's own diagnosis). */
  private events(s: LampState, out: Outbound[]): void {
    for (const kind of [...s.faults.keys(), ...s.announced]) {
      const type = FAULT_EVENT[kind];
      if (!type) continue;
      const active = s.faults.has(kind);
      if (active === s.announced.has(kind)) continue;
      if (active) s.announced.add(kind);
      else s.announced.delete(kind);
      const event = { lampId: s.lamp.id, ts: deviceTs(s, s.simTime), seq: s.seq, type, active };
      out.push(this.out(s, topics.event(s.lamp.id), JSON.stringify(event), 'event'));
    }
  }

  private stepTraffic(simNow: number): void {
    const dtMs = simNow - this.lastTrafficSim;
    if (dtMs <= 0) return;
    this.lastTrafficSim = simNow;
    const env = this.envAt(simNow);
    // Long jumps (a stalled process) are capped: nobody rides 8 km in one step.
    const step = Math.min(dtMs, 60_000);
    for (const route of this.routes) {
      if (route.sensorDistances.length === 0 || this.opts.trafficPerHour <= 0) continue;
      const moved = stepTraffic(
        route.users,
        {
          lengthM: route.lengthM,
          peakPerHour: this.opts.trafficPerHour,
          localHour: env.localHour,
          dtMs: step,
        },
        route.sensorDistances,
        this.rnd,
      );
      route.users = moved.users;
      for (const c of moved.crossings) this.detect(route, c.distanceM, c.direction, simNow);
    }
  }

  /** A sensor post saw a road user: it counts, and it and the posts ahead rise to the presence level. */
  detect(route: Route, distanceM: number, direction: 1 | -1, t: number): void {
    const i = lowerBound(route.distances, distanceM);
    const sensor = route.states[i];
    if (!sensor) return;
    sensor.presenceCount++;
    this.counters.detections++;
    const presence = sensor.program.presence;
    const ahead = presence?.lookAhead ?? 3;
    for (let k = 0; k <= ahead; k++) {
      const s = route.states[i + k * direction];
      const p = s?.program.presence;
      if (!s || !p) continue;
      this.advanceLamp(s, t);
      s.presenceUntil = Math.max(s.presenceUntil, t + p.holdS * 1000);
    }
  }

  /** Road users now on each route (for the status line and tests). */
  roadUsers(): number {
    return this.routes.reduce((n, r) => n + r.users.length, 0);
  }

  /** Lamps a fault target names: a lamp id, a segment id, or `*`. */
  resolveTarget(target: string): LampState[] {
    if (target === '*') return [...this.states.values()];
    const lamp = this.states.get(target);
    if (lamp) return [lamp];
    return [...this.states.values()].filter((s) => s.lamp.segmentId === target);
  }

  /** Switch a fault on; returns the lamp ids it applies to (empty: unknown target). */
  injectFault(spec: FaultSpec, wall: number): string[] {
    const t = this.simAt(wall);
    const lamps = this.resolveTarget(spec.target);
    for (const s of lamps) {
      this.advanceLamp(s, t);
      s.faults.set(spec.kind, {
        kind: spec.kind,
        params: { ...FAULT_DEFAULTS[spec.kind], ...spec.params },
        since: t,
      });
    }
    return lamps.map((s) => s.lamp.id);
  }

  /** Switch a fault off (every kind when `kind` is omitted); returns the lamp ids it cleared. */
  clearFault(target: string, wall: number, kind?: FaultKind): string[] {
    const t = this.simAt(wall);
    const cleared: string[] = [];
    for (const s of this.resolveTarget(target)) {
      this.advanceLamp(s, t);
      const before = s.faults.size;
      if (kind) s.faults.delete(kind);
      else s.faults.clear();
      if (s.faults.size !== before) cleared.push(s.lamp.id);
    }
    return cleared;
  }

  /** Faults in force, as `kind:lampId`. */
  activeFaults(): { kind: FaultKind; lampId: string }[] {
    const out: { kind: FaultKind; lampId: string }[] = [];
    for (const s of this.states.values())
      for (const k of s.faults.keys()) out.push({ kind: k, lampId: s.lamp.id });
    return out;
  }
}

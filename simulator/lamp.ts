/**
 * One lamp post's controller and luminaire: target from override or program (with presence),
 * ramps, faults, and the integrated counters. Pure: device time and environment come in.
 */
import type { NightProgram, Telemetry } from '../shared/contract/index.ts';
import { programLevel } from '../shared/programs/programs.ts';
import { createRandom } from '../shared/random.ts';
import {
  activePower,
  effectiveLevel,
  energyKWh,
  gearTemperatureStep,
  mainsVoltage,
  powerFactor,
  sensorIlluminance,
  supplyCurrent,
} from './electrical.ts';
import { type ActiveFault, clockOffset, type FaultKind, faultyLevel } from './faults.ts';
import type { SimLamp } from './fleet.ts';

/** Fade a controller uses for program and presence changes, ms of device time. */
export const DEFAULT_FADE_MS = 3_000;
/** Longest integration step: program switches and energy are resolved at least this finely. */
export const MAX_STEP_MS = 30_000;

/** Conditions at the route at an instant, shared by every lamp (computed once per minute). */
export interface Environment {
  skyLux: number;
  ambientC: number;
  localHour: number;
}

export interface Override {
  commandId: string;
  level: number;
  rampMs: number;
  startSim: number;
  expiresSim: number | null;
  /** The ramp towards the override level has started. */
  begun: boolean;
}

export interface LampState {
  readonly lamp: SimLamp;
  seq: number;
  /** Device time the state has been advanced to. */
  simTime: number;
  program: NightProgram;
  override: Override | null;
  /** Controller target (TALQ targetLightCommand), %. */
  target: number;
  /** Controller output after the ramp, %. */
  level: number;
  ramp: { from: number; to: number; start: number; durationMs: number } | null;
  presenceUntil: number;
  presenceCount: number;
  /** Light source physically on. */
  lit: boolean;
  energyKWh: number;
  operatingHours: number;
  switchOnCounter: number;
  gearTempC: number;
  faults: Map<FaultKind, ActiveFault>;
  /** Faults whose event was published as active. */
  announced: Set<FaultKind>;
  /** A command waiting for its ramp to end before the `applied` ack. */
  pendingApplied: string | null;
  /** Ids of the last commands carried out, newest last: a resent one is acked, not redone. */
  recentCommands: string[];
}

/** A lamp at device time t with plausible history (seeded: hours since the lab opened in 2014). */
export function createLampState(
  lamp: SimLamp,
  program: NightProgram,
  t: number,
  env: Environment,
  seed: number,
) {
  const rnd = createRandom(seed ^ hashId(lamp.id));
  const hours = 5_000 + rnd() * 40_000;
  const level = programLevel(program, t);
  const state: LampState = {
    lamp,
    seq: 0,
    simTime: t,
    program,
    override: null,
    target: level,
    level,
    ramp: null,
    presenceUntil: 0,
    presenceCount: 0,
    lit: false,
    energyKWh: (hours * lamp.model.ratedPowerW * 0.65) / 1000,
    operatingHours: hours,
    switchOnCounter: Math.round(hours / 11 + rnd() * 50),
    gearTempC: env.ambientC,
    faults: new Map(),
    announced: new Set(),
    pendingApplied: null,
    recentCommands: [],
  };
  state.lit = physicalLevel(state, t) > 0;
  if (state.lit)
    state.gearTempC = gearTemperatureStep(
      lamp.model,
      env.ambientC,
      env.ambientC,
      lampPower(state, t),
      3_600_000,
    );
  return state;
}

export function hashId(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** What the controller aims for at t: an override in force, else the program (raised by presence). */
export function targetAt(s: LampState, t: number): number {
  const o = s.override;
  if (o && t >= o.startSim && (o.expiresSim === null || t < o.expiresSim)) return o.level;
  const p = programLevel(s.program, t);
  const presence = s.program.presence;
  if (presence && p > 0 && t < s.presenceUntil) return Math.max(p, presence.level);
  return p;
}

export function levelAt(s: LampState, t: number): number {
  const r = s.ramp;
  if (!r) return s.level;
  if (t <= r.start) return r.from;
  if (r.durationMs <= 0 || t >= r.start + r.durationMs) return r.to;
  return r.from + ((r.to - r.from) * (t - r.start)) / r.durationMs;
}

/** Light the luminaire gives at t (faults applied), clamped to the driver's dimming range. */
export function physicalLevel(s: LampState, t: number, level = levelAt(s, t)): number {
  return effectiveLevel(s.lamp.model, faultyLevel(s.faults, level, t));
}

function lampPower(s: LampState, t: number, level?: number): number {
  if (s.faults.has('supplyLoss')) return 0;
  return activePower(s.lamp.model, physicalLevel(s, t, level), s.operatingHours);
}

/** Start a ramp from the current output to a new target. */
export function retarget(s: LampState, t: number, target: number, durationMs: number): void {
  const from = levelAt(s, t);
  s.level = from;
  s.target = target;
  s.ramp = { from, to: target, start: t, durationMs };
}

/**
 * Advance to device time `to`: follow target changes, ramp, and integrate energy, operating
 * hours, switch-ons and gear temperature in steps of at most MAX_STEP_MS.
 */
export function advance(s: LampState, to: number, envAt: (t: number) => Environment): void {
  const cycling = s.faults.get('cycling');
  const maxStep = cycling
    ? Math.min(MAX_STEP_MS, ((cycling.params.offS ?? 20) * 1000) / 2)
    : MAX_STEP_MS;
  while (s.simTime < to) {
    const t0 = s.simTime;
    const t1 = Math.min(to, t0 + maxStep);
    const o = s.override;
    if (o && o.expiresSim !== null && t1 >= o.expiresSim) s.override = null;
    const target = targetAt(s, t1);
    if (s.override && !s.override.begun && t1 >= s.override.startSim) {
      s.override.begun = true;
      retarget(s, Math.max(t0, s.override.startSim), target, s.override.rampMs);
    } else if (target !== s.target) {
      retarget(s, t0, target, DEFAULT_FADE_MS);
    }
    const p0 = lampPower(s, t0);
    const level1 = levelAt(s, t1);
    const p1 = lampPower(s, t1, level1);
    const dt = t1 - t0;
    s.energyKWh += energyKWh((p0 + p1) / 2, dt);
    const lit1 = physicalLevel(s, t1, level1) > 0;
    if (lit1 && !s.lit) s.switchOnCounter++;
    if (lit1 || s.lit) s.operatingHours += ((lit1 && s.lit ? 1 : 0.5) * dt) / 3_600_000;
    s.gearTempC = gearTemperatureStep(s.lamp.model, s.gearTempC, envAt(t1).ambientC, p1, dt);
    s.lit = lit1;
    s.level = level1;
    if (s.ramp && t1 >= s.ramp.start + s.ramp.durationMs) s.ramp = null;
    s.simTime = t1;
  }
}

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Device clock reading at device time t (clock drift applies). */
export const deviceTs = (s: LampState, t: number) => t + clockOffset(s.faults, t);

/** A reading at the state's current time; `noise` in [0, 1) jitters the mains voltage. */
export function reading(s: LampState, env: Environment, noise: number): Telemetry {
  const t = s.simTime;
  const supply = !s.faults.has('supplyLoss');
  const level = physicalLevel(s, t);
  const model = s.lamp.model;
  const voltage = supply ? mainsVoltage(s.lamp.nominalVoltageV, env.localHour, noise - 0.5) : 0;
  const power = supply ? activePower(model, level, s.operatingHours) : 0;
  const pf = supply ? powerFactor(model, level, s.operatingHours) : 0;
  const r: Telemetry = {
    lampId: s.lamp.id,
    seq: s.seq++,
    ts: deviceTs(s, t),
    targetLevel: round(s.target, 1),
    actualLevel: round(level, 1),
    activePower: round(power, 2),
    activeEnergy: round(s.energyKWh, 4),
    supplyVoltage: round(voltage, 1),
    supplyCurrent: round(supplyCurrent(power, voltage, pf), 3),
    powerFactor: round(pf, 3),
    operatingHours: round(s.operatingHours, 3),
    switchOnCounter: s.switchOnCounter,
    gearTemperature: round(s.gearTempC, 1),
  };
  if (s.lamp.hasLightSensor) r.illuminance = round(sensorIlluminance(env.skyLux, level), 2);
  if (s.lamp.hasPresenceSensor) {
    r.presenceCount = Math.min(10_000, s.presenceCount);
    s.presenceCount = 0;
  }
  return r;
}

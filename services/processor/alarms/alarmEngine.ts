/**
 * The alarm core: pure, no I/O, time passed in. Feed it messages and ticks; it returns alarm
 * transitions (raised or cleared), each once. Conditions are kept per lamp; alarms are derived
 * from them, so a segment-wide supply loss makes one segment alarm and hides the per-lamp
 * alarms it explains (forty dark lamps are one problem, not forty).
 */
import type { Alarm, AlarmType } from '../../../shared/contract/alarms.ts';
import type { CommandAck, LampCommand } from '../../../shared/contract/commands.ts';
import type { LampEvent } from '../../../shared/contract/events.ts';
import type { LampStatus } from '../../../shared/contract/status.ts';
import type { Telemetry } from '../../../shared/contract/telemetry.ts';
import { activePower, type Registry } from '../../../shared/registry/index.ts';

export interface AlarmSettings {
  reportIntervalMs: number;
  commsLostIntervals: number;
  ackTimeoutMs: number;
  powerTolerance: number;
  supplyLossFraction: number;
  supplyLossMinLamps: number;
  supplyLossVolts: number;
  dayAltitudeDeg: number;
}

export interface AlarmDeps {
  registry: Registry;
  /** Sun altitude in degrees at a place and time (suncalc in production). */
  sunAltitude(ts: number, lat: number, lon: number): number;
}

const SEVERITY: Record<AlarmType, Alarm['severity']> = {
  lampFailure: 'major',
  powerDeviation: 'minor',
  dayBurning: 'minor',
  commsLost: 'major',
  commandNotAcked: 'minor',
  segmentSupplyLoss: 'critical',
};

/**
 * The sun moves at most ~0.25 deg a minute: one position per lamp and minute of device time is
 * close enough for day-burning (a threshold in degrees) and saves suncalc on most readings.
 */
const SUN_REUSE_MS = 60_000;

/**
 * A lamp failure the lamp reported itself clears once the lamp has drawn its normal power this
 * long (a lamp that recovers does not always send the event's end).
 */
export const EVENT_FAILURE_CLEARS_AFTER_MS = 60_000;

/** What the latest reading showed, kept as numbers: alarm texts are written only on a change. */
interface Measured {
  power: number;
  target: number;
  actual: number;
  /** Expected power at the target level (lamp failure) and at the actual level (deviation). */
  expectedOn: number;
  expected: number;
  altitude: number;
}

interface LampState {
  lastSeen?: number;
  failed: boolean;
  failedByEvent: boolean;
  /** Since when readings have shown normal power while commanded on (clears failedByEvent). */
  normalSince?: number;
  powerOff: boolean;
  dayBurning: boolean;
  dayBurningByEvent: boolean;
  supplyLoss: boolean;
  supplyLossByEvent: boolean;
  offline: boolean;
  /** Texts the lamp sent with its own events. */
  detail: Partial<Record<AlarmType, string>>;
  measured: Measured;
  sun: { ts: number; altitude: number };
}

/** The telemetry-driven conditions of a lamp as bits, to see cheaply whether a reading changed any. */
const conditions = (s: LampState) =>
  (s.failed ? 1 : 0) |
  (s.powerOff ? 2 : 0) |
  (s.dayBurning ? 4 : 0) |
  (s.supplyLoss ? 8 : 0) |
  (s.offline ? 16 : 0);

export interface AlarmEngine {
  onTelemetry(t: Telemetry, now: number): Alarm[];
  onEvent(e: LampEvent, now: number): Alarm[];
  onStatus(s: LampStatus, now: number): Alarm[];
  onCommand(lampId: string, c: LampCommand, now: number): Alarm[];
  onAck(a: CommandAck, now: number): Alarm[];
  /** Silence-based alarms (comms lost, unacknowledged commands). Call every few seconds. */
  tick(now: number): Alarm[];
  active(): Alarm[];
  /**
   * Take back the alarms still raised when the processor last stopped (from the store), so that
   * they clear when their lamps recover instead of staying raised for ever. A lamp's alarm is
   * judged again on its next message; a segment's supply loss once enough of its lamps are heard
   * from. An unacknowledged command's deadline is not stored: that alarm clears on the lamp's
   * next message. Alarms of lamps or segments no longer in the registry are left as they are.
   */
  restore(alarms: readonly Alarm[]): void;
  /**
   * Lamps known to have reported before this start (their latest stored reading): they are
   * expected to go on, so one that stays silent raises comms lost like any other, counted from
   * `now`. Lamps never heard from stay unjudged.
   */
  expectReports(lampIds: Iterable<string>, now: number): void;
}

export function createAlarmEngine(settings: AlarmSettings, deps: AlarmDeps): AlarmEngine {
  const { registry } = deps;
  const lamps = new Map<string, LampState>();
  const raised = new Map<string, Alarm>();
  /** lampId -> commandId -> deadline */
  const pending = new Map<string, Map<string, number>>();
  /** Lamps with an alarm restored at start: their next message reconciles even if nothing changed. */
  const restoredLamps = new Set<string>();
  /** Segments whose supply-loss alarm was restored: kept until enough lamps are heard from. */
  const heldSegments = new Set<string>();

  const state = (lampId: string): LampState => {
    let s = lamps.get(lampId);
    if (!s) {
      s = {
        failed: false,
        failedByEvent: false,
        powerOff: false,
        dayBurning: false,
        dayBurningByEvent: false,
        supplyLoss: false,
        supplyLossByEvent: false,
        offline: false,
        detail: {},
        measured: { power: 0, target: 0, actual: 0, expectedOn: 0, expected: 0, altitude: 0 },
        sun: { ts: Number.NEGATIVE_INFINITY, altitude: 0 },
      };
      lamps.set(lampId, s);
    }
    return s;
  };

  const silent = (s: LampState, now: number) =>
    s.lastSeen !== undefined &&
    now - s.lastSeen > settings.commsLostIntervals * settings.reportIntervalMs;
  const dark = (s: LampState, now: number) =>
    s.supplyLoss || s.supplyLossByEvent || s.offline || silent(s, now);

  const transition = (
    out: Alarm[],
    alarmId: string,
    type: AlarmType,
    want: string | undefined,
    where: { lampId?: string; segmentId?: string },
    now: number,
    /** Re-announce a raised alarm whose detail changed (a segment's count of dark lamps). */
    refresh = false,
  ) => {
    const current = raised.get(alarmId);
    if (want !== undefined && current && refresh && current.detail !== want) {
      // Still raised, but what it says changed (more lamps went dark): raised again, same id.
      const alarm: Alarm = { ...current, ts: now, detail: want };
      raised.set(alarmId, alarm);
      out.push(alarm);
    } else if (want !== undefined && !current) {
      const alarm: Alarm = {
        alarmId,
        type,
        state: 'raised',
        severity: SEVERITY[type],
        ...where,
        ts: now,
        detail: want,
      };
      raised.set(alarmId, alarm);
      out.push(alarm);
    } else if (want === undefined && current) {
      raised.delete(alarmId);
      out.push({
        ...current,
        state: 'cleared',
        ts: now,
        detail: `cleared: ${current.detail}`.slice(0, 256),
      });
    }
  };

  const segmentDown = (segmentId: string) => raised.has(`segmentSupplyLoss:${segmentId}`);

  const reconcileLamp = (out: Alarm[], lampId: string, now: number) => {
    const lamp = registry.lamp(lampId);
    const s = lamps.get(lampId);
    if (!lamp || !s) return;
    const where = { lampId, segmentId: lamp.segmentId };
    const hidden = segmentDown(lamp.segmentId);
    const overdue = [...(pending.get(lampId) ?? new Map<string, number>())].filter(
      ([, d]) => d <= now,
    );
    const m = s.measured;
    const want: Record<AlarmType, string | undefined> = {
      lampFailure:
        !hidden && (s.failed || s.failedByEvent)
          ? s.failed
            ? `${m.power} W at level ${m.target} %, expected ${m.expectedOn.toFixed(1)} W`
            : (s.detail.lampFailure ?? 'lamp failure')
          : undefined,
      powerDeviation:
        !hidden && !s.failed && s.powerOff
          ? `${m.power} W at ${m.actual} %, expected ${m.expected.toFixed(1)} W (+-${settings.powerTolerance * 100} %)`
          : undefined,
      dayBurning:
        s.dayBurning || s.dayBurningByEvent
          ? s.dayBurning
            ? `on at ${m.actual} % with the sun ${m.altitude.toFixed(1)} deg up`
            : (s.detail.dayBurning ?? 'burning in daylight')
          : undefined,
      commsLost:
        !hidden && silent(s, now)
          ? `no report since ${new Date(s.lastSeen ?? 0).toISOString()}`
          : undefined,
      commandNotAcked:
        !hidden && overdue.length > 0
          ? `no ack for ${overdue.map(([id]) => id).join(', ')}`.slice(0, 256)
          : undefined,
      segmentSupplyLoss: undefined,
    };
    for (const type of [
      'lampFailure',
      'powerDeviation',
      'dayBurning',
      'commsLost',
      'commandNotAcked',
    ] as const) {
      transition(out, `${type}:${lampId}`, type, want[type], where, now);
    }
  };

  /** `refresh`: re-announce a raised alarm whose count changed (on ticks, not per reading). */
  const reconcileSegment = (out: Alarm[], segmentId: string, now: number, refresh = false) => {
    const members = registry.lampsInSegment(segmentId);
    if (members.length === 0) return;
    const down = members.filter((l) => {
      const s = lamps.get(l.id);
      return s !== undefined && dark(s, now);
    }).length;
    const threshold = Math.max(
      settings.supplyLossMinLamps,
      Math.ceil(settings.supplyLossFraction * members.length),
    );
    if (heldSegments.has(segmentId)) {
      // Restored at start: lamps not heard from since may still be dark. Clear only once the
      // lamps heard from leave too few to be a supply loss.
      const unheard = members.filter((l) => !lamps.has(l.id)).length;
      if (down < threshold && down + unheard >= threshold) return;
      heldSegments.delete(segmentId);
    }
    const was = segmentDown(segmentId);
    const want =
      down >= threshold ? `${down} of ${members.length} lamps without supply or silent` : undefined;
    transition(
      out,
      `segmentSupplyLoss:${segmentId}`,
      'segmentSupplyLoss',
      want,
      { segmentId },
      now,
      refresh,
    );
    if (was && !segmentDown(segmentId)) {
      // Supply is back: lamps reboot one by one, so restart the silence clock of those not heard
      // from yet instead of raising comms lost for each of them.
      for (const l of members) {
        const s = lamps.get(l.id);
        if (s && silent(s, now)) s.lastSeen = now;
      }
    }
    if (was !== segmentDown(segmentId)) for (const l of members) reconcileLamp(out, l.id, now);
  };

  const update = (lampId: string, now: number): Alarm[] => {
    restoredLamps.delete(lampId);
    const out: Alarm[] = [];
    const segmentId = registry.lamp(lampId)?.segmentId;
    if (segmentId) reconcileSegment(out, segmentId, now);
    reconcileLamp(out, lampId, now);
    return out;
  };

  return {
    onTelemetry(t, now) {
      const lamp = registry.lamp(t.lampId);
      const model = lamp ? registry.model(lamp.modelId) : undefined;
      if (!lamp || !model) return [];
      const s = state(t.lampId);
      // Most readings change nothing: skip the reconciliation then (it is the hot path).
      const wasSilent = silent(s, now);
      const before = conditions(s);
      s.lastSeen = now;
      s.offline = false;
      s.supplyLoss = t.supplyVoltage < settings.supplyLossVolts;
      const m = s.measured;
      m.power = t.activePower;
      m.target = t.targetLevel;
      m.actual = t.actualLevel;
      m.expectedOn = activePower(model, t.targetLevel, t.operatingHours);
      const standbyish = model.standbyPowerW + 0.1 * (m.expectedOn - model.standbyPowerW);
      s.failed = !s.supplyLoss && t.targetLevel > 0 && t.activePower < standbyish;
      // Only judge power at a steady level: during a ramp target and actual differ.
      const steady = Math.abs(t.targetLevel - t.actualLevel) <= 1;
      m.expected =
        t.actualLevel === t.targetLevel
          ? m.expectedOn
          : activePower(model, t.actualLevel, t.operatingHours);
      const off = Math.abs(t.activePower - m.expected) > settings.powerTolerance * m.expected;
      s.powerOff = steady && !s.supplyLoss && off;
      const burning = t.actualLevel > 0 && t.activePower > model.standbyPowerW * 1.5 + 1;
      // The sun's position matters only for a lamp that is on.
      if (burning && Math.abs(t.ts - s.sun.ts) > SUN_REUSE_MS) {
        s.sun.ts = t.ts;
        s.sun.altitude = deps.sunAltitude(t.ts, lamp.lat, lamp.lon);
      }
      m.altitude = s.sun.altitude;
      s.dayBurning = burning && m.altitude > settings.dayAltitudeDeg;
      let recovered = false;
      if (!s.failed && !s.supplyLoss && t.targetLevel > 0 && !off) {
        s.normalSince ??= now;
        if (s.failedByEvent && now - s.normalSince >= EVENT_FAILURE_CLEARS_AFTER_MS) {
          s.failedByEvent = false;
          recovered = true;
        }
      } else s.normalSince = undefined;
      if (
        !recovered &&
        !wasSilent &&
        conditions(s) === before &&
        !restoredLamps.has(t.lampId) &&
        !heldSegments.has(lamp.segmentId)
      )
        return [];
      return update(t.lampId, now);
    },
    onEvent(e, now) {
      if (!registry.lamp(e.lampId)) return [];
      const s = state(e.lampId);
      const detail = e.detail ?? `${e.type} reported by the lamp`;
      if (e.type === 'lampFailure') {
        s.failedByEvent = e.active;
        s.detail.lampFailure = detail;
      } else if (e.type === 'dayBurning') {
        // A lamp's own day-burning report is checked against the sun at the event's time: a
        // node with a wrong clock or a lux sensor in a shadow is not burning in daylight.
        const lamp = registry.lamp(e.lampId)!;
        const sunUp = deps.sunAltitude(e.ts, lamp.lat, lamp.lon) > settings.dayAltitudeDeg;
        s.dayBurningByEvent = e.active && sunUp;
        s.detail.dayBurning = detail;
      } else if (e.type === 'supplyLoss') {
        s.supplyLossByEvent = e.active;
      } else {
        return [];
      }
      return update(e.lampId, now);
    },
    onStatus(st, now) {
      if (!registry.lamp(st.lampId)) return [];
      const s = state(st.lampId);
      // A last will (no reason) means an abrupt loss; a lamp shutting down says why.
      s.offline = st.state === 'offline' && st.reason === undefined;
      if (st.state === 'online') s.lastSeen = now;
      return update(st.lampId, now);
    },
    onCommand(lampId, c, now) {
      if (!registry.lamp(lampId)) return [];
      state(lampId);
      let mine = pending.get(lampId);
      if (!mine) {
        mine = new Map();
        pending.set(lampId, mine);
      }
      mine.set(c.commandId, now + settings.ackTimeoutMs);
      return [];
    },
    onAck(a, now) {
      const mine = pending.get(a.lampId);
      const deadline = mine?.get(a.commandId);
      if (!mine || deadline === undefined) return [];
      // A lamp that acks a command has dealt with those sent before it too (a newer command
      // replaces an older one): they no longer wait, or one lost ack would hold the alarm and
      // its entry for ever.
      for (const [id, d] of mine) if (d <= deadline) mine.delete(id);
      if (mine.size === 0) pending.delete(a.lampId);
      return update(a.lampId, now);
    },
    tick(now) {
      const out: Alarm[] = [];
      for (const segment of registry.segments) reconcileSegment(out, segment.id, now, true);
      for (const lampId of new Set([...lamps.keys(), ...pending.keys()]))
        reconcileLamp(out, lampId, now);
      return out;
    },
    active: () => [...raised.values()],
    expectReports(lampIds, now) {
      for (const id of lampIds) {
        if (!registry.lamp(id) || lamps.has(id)) continue;
        state(id).lastSeen = now;
      }
    },
    restore(alarms) {
      for (const a of alarms) {
        if (a.state !== 'raised') continue;
        if (a.type === 'segmentSupplyLoss') {
          if (!a.segmentId || registry.lampsInSegment(a.segmentId).length === 0) continue;
          heldSegments.add(a.segmentId);
        } else {
          if (!a.lampId || !registry.lamp(a.lampId)) continue;
          restoredLamps.add(a.lampId);
        }
        raised.set(a.alarmId, a);
      }
    },
  };
}

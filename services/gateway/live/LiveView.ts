import type { Alarm, LampStatus, Telemetry } from '../../../shared/contract/index.ts';
import type { Registry } from '../../../shared/registry/index.ts';
import type { LiveLamp } from '../api.ts';
import type { ActiveAlarm } from '../responses.ts';

export type { ActiveAlarm };

export type LiveListener = (lamp: LiveLamp) => void;
export type AlarmListener = (alarm: ActiveAlarm) => void;

/**
 * The latest state of every registry lamp and the active alarms, in memory. Fed by MQTT and
 * seeded from storage at start; pure (no I/O), listeners get each change.
 */
export class LiveView {
  private readonly lamps = new Map<string, LiveLamp>();
  private readonly alarms = new Map<string, ActiveAlarm>();
  private readonly listeners = new Set<LiveListener>();
  private readonly alarmListeners = new Set<AlarmListener>();

  constructor(registry: Registry) {
    for (const l of registry.lamps) {
      this.lamps.set(l.id, {
        lampId: l.id,
        segmentId: l.segmentId,
        vendorId: registry.model(l.modelId)?.vendorId ?? 'unknown',
        modelId: l.modelId,
        status: 'unknown',
        statusTs: null,
        telemetry: null,
      });
    }
  }

  /** Apply a reading; older readings than the one held (replays, retries) are ignored. */
  telemetry(reading: Telemetry): boolean {
    const lamp = this.lamps.get(reading.lampId);
    if (!lamp) return false;
    if (lamp.telemetry && lamp.telemetry.ts > reading.ts) return false;
    const next: LiveLamp = { ...lamp, telemetry: reading };
    // A lamp that reports is online even if its retained birth message was missed.
    if (next.status === 'unknown') next.status = 'online';
    this.lamps.set(reading.lampId, next);
    this.emit(next);
    return true;
  }

  status(s: LampStatus): boolean {
    const lamp = this.lamps.get(s.lampId);
    if (!lamp) return false;
    // A last will (offline without a reason) carries the time of the connect it was set at, so it
    // is older than the birth message it follows: the broker sends it only when that connection
    // has just dropped, so it always wins.
    const lastWill = s.state === 'offline' && s.reason === undefined;
    if (!lastWill && lamp.statusTs !== null && lamp.statusTs > s.ts) return false;
    const next: LiveLamp = { ...lamp, status: s.state, statusTs: s.ts };
    this.lamps.set(s.lampId, next);
    this.emit(next);
    return true;
  }

  alarm(a: Alarm): void {
    if (a.state === 'cleared') {
      const held = this.alarms.get(a.alarmId);
      this.alarms.delete(a.alarmId);
      this.emitAlarm({ ...held, ...a });
      return;
    }
    const vendorId = a.lampId ? this.lamps.get(a.lampId)?.vendorId : undefined;
    const active: ActiveAlarm = vendorId ? { ...a, vendorId } : { ...a };
    // Raised again with a new detail (a segment's count of dark lamps): still the same alarm,
    // so it keeps its acknowledgement.
    const held = this.alarms.get(a.alarmId);
    if (held?.acknowledgedBy !== undefined) {
      active.acknowledgedBy = held.acknowledgedBy;
      if (held.acknowledgedAt !== undefined) active.acknowledgedAt = held.acknowledgedAt;
    }
    this.alarms.set(a.alarmId, active);
    this.emitAlarm(active);
  }

  acknowledgeAlarm(alarmId: string, by: string, at: number): ActiveAlarm | undefined {
    const a = this.alarms.get(alarmId);
    if (!a) return undefined;
    a.acknowledgedBy = by;
    a.acknowledgedAt = at;
    this.emitAlarm(a);
    return a;
  }

  activeAlarms(): ActiveAlarm[] {
    return [...this.alarms.values()];
  }

  get(lampId: string): LiveLamp | undefined {
    return this.lamps.get(lampId);
  }

  all(): LiveLamp[] {
    return [...this.lamps.values()];
  }

  get size(): number {
    return this.lamps.size;
  }

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscribeAlarms(listener: AlarmListener): () => void {
    this.alarmListeners.add(listener);
    return () => this.alarmListeners.delete(listener);
  }

  private emit(lamp: LiveLamp): void {
    for (const l of this.listeners) {
      try {
        l(lamp);
      } catch {
        // one listener (a socket) must not stop the others
      }
    }
  }

  private emitAlarm(a: ActiveAlarm): void {
    for (const l of this.alarmListeners) {
      try {
        l(a);
      } catch {
        // as above
      }
    }
  }
}

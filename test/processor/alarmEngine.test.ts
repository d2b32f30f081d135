import { describe, expect, it } from 'vitest';
import {
  type AlarmSettings,
  createAlarmEngine,
} from '../../services/processor/alarms/alarmEngine.ts';
import type { Telemetry } from '../../shared/contract/telemetry.ts';
import { activePower, loadRegistry } from '../../shared/registry/index.ts';

const registry = loadRegistry();
const SETTINGS: AlarmSettings = {
  reportIntervalMs: 60_000,
  commsLostIntervals: 3,
  ackTimeoutMs: 30_000,
  powerTolerance: 0.25,
  supplyLossFraction: 0.5,
  supplyLossMinLamps: 3,
  supplyLossVolts: 100,
  dayAltitudeDeg: 3,
};
const T0 = Date.UTC(2026, 10, 20, 22, 0, 0);
const lamp = registry.lamps[0]!;
const model = registry.model(lamp.modelId)!;
const segment = registry.segments.find((s) => s.id === lamp.segmentId)!;

function engine(altitude = -20) {
  return createAlarmEngine(SETTINGS, { registry, sunAltitude: () => altitude });
}

function reading(lampId: string, over: Partial<Telemetry> = {}): Telemetry {
  const m = registry.model(registry.lamp(lampId)!.modelId)!;
  const level = over.actualLevel ?? 50;
  return {
    lampId,
    seq: 1,
    ts: T0,
    targetLevel: level,
    actualLevel: level,
    activePower: activePower(m, level, 100),
    activeEnergy: 10,
    supplyVoltage: 230,
    supplyCurrent: 0.2,
    powerFactor: 0.9,
    operatingHours: 100,
    switchOnCounter: 1,
    gearTemperature: 30,
    ...over,
  };
}

const summary = (alarms: { alarmId: string; state: string }[]) =>
  alarms.map((a) => `${a.state} ${a.alarmId}`);

describe('alarm engine', () => {
  it('is quiet for a healthy lamp at night', () => {
    const e = engine();
    expect(e.onTelemetry(reading(lamp.id), T0)).toEqual([]);
    expect(e.tick(T0 + 60_000)).toEqual([]);
  });

  it('raises lamp failure when a lamp commanded on draws standby power, and clears it', () => {
    const e = engine();
    const failed = e.onTelemetry(reading(lamp.id, { activePower: model.standbyPowerW }), T0);
    expect(summary(failed)).toEqual([`raised lampFailure:${lamp.id}`]);
    expect(failed[0]).toMatchObject({
      severity: 'major',
      lampId: lamp.id,
      segmentId: lamp.segmentId,
      ts: T0,
    });
    expect(e.onTelemetry(reading(lamp.id, { activePower: model.standbyPowerW }), T0 + 1)).toEqual(
      [],
    );
    expect(summary(e.onTelemetry(reading(lamp.id), T0 + 2))).toEqual([
      `cleared lampFailure:${lamp.id}`,
    ]);
  });

  it('raises lamp failure from a lamp event too', () => {
    const e = engine();
    const on = e.onEvent({ lampId: lamp.id, ts: T0, type: 'lampFailure', active: true }, T0);
    expect(summary(on)).toEqual([`raised lampFailure:${lamp.id}`]);
    const off = e.onEvent({ lampId: lamp.id, ts: T0, type: 'lampFailure', active: false }, T0 + 1);
    expect(summary(off)).toEqual([`cleared lampFailure:${lamp.id}`]);
  });

  it('raises power deviation against the model at the current level, not during a ramp', () => {
    const e = engine();
    const expected = activePower(model, 80, 100);
    expect(
      e.onTelemetry(reading(lamp.id, { actualLevel: 80, activePower: expected * 1.2 }), T0),
    ).toEqual([]);
    const high = e.onTelemetry(
      reading(lamp.id, { actualLevel: 80, activePower: expected * 1.5 }),
      T0 + 1,
    );
    expect(summary(high)).toEqual([`raised powerDeviation:${lamp.id}`]);
    const ramp = e.onTelemetry(
      reading(lamp.id, { targetLevel: 100, actualLevel: 60, activePower: expected * 3 }),
      T0 + 2,
    );
    expect(summary(ramp)).toEqual([`cleared powerDeviation:${lamp.id}`]);
  });

  it('raises day-burning when a lamp is on while the sun is up', () => {
    expect(engine(-5).onTelemetry(reading(lamp.id), T0)).toEqual([]);
    const e = engine(20);
    expect(summary(e.onTelemetry(reading(lamp.id), T0))).toEqual([`raised dayBurning:${lamp.id}`]);
    expect(
      summary(
        e.onTelemetry(
          reading(lamp.id, { actualLevel: 0, activePower: model.standbyPowerW }),
          T0 + 1,
        ),
      ),
    ).toEqual([`cleared dayBurning:${lamp.id}`]);
  });

  it('asks for the sun once per lamp and minute of device time, and follows it after that', () => {
    let altitude = -10;
    const asked: number[] = [];
    const e = createAlarmEngine(SETTINGS, {
      registry,
      sunAltitude: (ts) => {
        asked.push(ts);
        return altitude;
      },
    });
    for (let s = 0; s < 60; s++) {
      expect(e.onTelemetry(reading(lamp.id, { ts: T0 + s * 1000 }), T0 + s * 1000)).toEqual([]);
    }
    expect(asked).toEqual([T0]);
    altitude = 10; // sunrise: seen within a minute of device time
    const later = T0 + 61_000;
    expect(summary(e.onTelemetry(reading(lamp.id, { ts: later }), later))).toEqual([
      `raised dayBurning:${lamp.id}`,
    ]);
    expect(asked).toEqual([T0, later]);
    expect(e.active()[0]?.detail).toBe('on at 50 % with the sun 10.0 deg up');
  });

  it('raises comms lost after N silent intervals and clears on the next report', () => {
    const e = engine();
    e.onTelemetry(reading(lamp.id), T0);
    expect(e.tick(T0 + 3 * 60_000)).toEqual([]);
    const lost = e.tick(T0 + 3 * 60_000 + 1);
    expect(summary(lost)).toEqual([`raised commsLost:${lamp.id}`]);
    expect(e.tick(T0 + 10 * 60_000)).toEqual([]);
    expect(summary(e.onTelemetry(reading(lamp.id), T0 + 11 * 60_000))).toEqual([
      `cleared commsLost:${lamp.id}`,
    ]);
  });

  it('raises command-not-acked when no ack arrives in time; an ack clears it', () => {
    const e = engine();
    const cmd = { type: 'release' as const, commandId: 'c-1', issuedAt: T0 };
    e.onCommand(lamp.id, cmd, T0);
    expect(e.tick(T0 + 30_000 - 1)).toEqual([]);
    expect(summary(e.tick(T0 + 30_000))).toEqual([`raised commandNotAcked:${lamp.id}`]);
    const acked = e.onAck(
      { commandId: 'c-1', lampId: lamp.id, ts: T0, status: 'accepted' },
      T0 + 31_000,
    );
    expect(summary(acked)).toEqual([`cleared commandNotAcked:${lamp.id}`]);
    e.onCommand(lamp.id, { ...cmd, commandId: 'c-2' }, T0 + 40_000);
    e.onAck({ commandId: 'c-2', lampId: lamp.id, ts: T0, status: 'applied' }, T0 + 41_000);
    expect(e.tick(T0 + 100_000)).toEqual([]);
  });

  it('an ack for a newer command clears the alarm of an older one that was never acked', () => {
    const e = engine();
    const cmd = (id: string, at: number) => ({
      type: 'release' as const,
      commandId: id,
      issuedAt: at,
    });
    e.onCommand(lamp.id, cmd('c-1', T0), T0);
    expect(summary(e.tick(T0 + 30_000))).toEqual([`raised commandNotAcked:${lamp.id}`]);
    e.onCommand(lamp.id, cmd('c-2', T0 + 60_000), T0 + 60_000);
    const acked = e.onAck(
      { commandId: 'c-2', lampId: lamp.id, ts: T0 + 61_000, status: 'applied' },
      T0 + 61_000,
    );
    expect(summary(acked)).toEqual([`cleared commandNotAcked:${lamp.id}`]);
    expect(e.tick(T0 + 200_000)).toEqual([]);
  });

  it('turns a segment-wide supply loss into one segment alarm, not one per lamp', () => {
    const e = engine();
    for (const id of segment.lampIds) e.onTelemetry(reading(id), T0);
    const out = [];
    for (const id of segment.lampIds)
      out.push(...e.onTelemetry(reading(id, { supplyVoltage: 0, activePower: 0 }), T0 + 1000));
    // All of them silent afterwards too: still one alarm (the tick brings its count up to date).
    out.push(...e.tick(T0 + 10 * 60_000));
    expect([...new Set(summary(out))]).toEqual([`raised segmentSupplyLoss:${segment.id}`]);
    expect(e.active()).toHaveLength(1);
    const back = [];
    for (const id of segment.lampIds) back.push(...e.onTelemetry(reading(id), T0 + 11 * 60_000));
    expect(summary(back)).toEqual([`cleared segmentSupplyLoss:${segment.id}`]);
    expect(e.active()).toEqual([]);
  });

  it('keeps per-lamp alarms for a few lamps down in an otherwise healthy segment', () => {
    const e = engine();
    for (const id of segment.lampIds) e.onTelemetry(reading(id), T0);
    const [a, b] = segment.lampIds;
    const out = [
      ...e.onTelemetry(reading(a!, { activePower: 0 }), T0 + 1),
      ...e.onTelemetry(reading(b!, { activePower: 0 }), T0 + 1),
    ];
    expect(summary(out)).toEqual([`raised lampFailure:${a}`, `raised lampFailure:${b}`]);
  });

  it('counts last-will offline lamps towards supply loss, but not lamps that shut down', () => {
    const e = engine();
    const out = [];
    for (const id of segment.lampIds)
      out.push(...e.onStatus({ lampId: id, state: 'offline', ts: T0, reason: 'shutdown' }, T0));
    expect(out).toEqual([]);
    for (const id of segment.lampIds)
      out.push(...e.onStatus({ lampId: id, state: 'offline', ts: T0 }, T0));
    expect(summary(out)).toEqual([`raised segmentSupplyLoss:${segment.id}`]);
  });

  it('takes back raised alarms after a restart and clears them when the lamp recovers', () => {
    const before = engine();
    before.onTelemetry(reading(lamp.id), T0);
    const failure = before.onTelemetry(reading(lamp.id, { activePower: 0 }), T0 + 1_000);
    expect(summary(failure)).toEqual([`raised lampFailure:${lamp.id}`]);
    const other = segment.lampIds[1]!;
    const lost = [
      ...before.onTelemetry(reading(other), T0),
      ...before.tick(T0 + 10 * 60_000),
    ].filter((a) => a.alarmId === `commsLost:${other}`);
    expect(lost).toHaveLength(1);

    // A new process: the store hands back what was raised (and a cleared one, ignored).
    const after = engine();
    after.restore([...failure, ...lost, { ...failure[0]!, alarmId: 'x', state: 'cleared' }]);
    expect(
      after
        .active()
        .map((a) => a.alarmId)
        .sort(),
    ).toEqual([`commsLost:${other}`, `lampFailure:${lamp.id}`].sort());
    // Still failing: nothing new (no second raise). Healthy: cleared, though nothing changed
    // in the new process's own view of the lamp.
    expect(after.onTelemetry(reading(lamp.id, { activePower: 0 }), T0 + 11 * 60_000)).toEqual([]);
    expect(after.tick(T0 + 11 * 60_000)).toEqual([]);
    expect(summary(after.onTelemetry(reading(lamp.id), T0 + 11 * 60_000 + 1))).toEqual([
      `cleared lampFailure:${lamp.id}`,
    ]);
    // The silent lamp stays lost until it reports.
    expect(after.tick(T0 + 12 * 60_000)).toEqual([]);
    expect(summary(after.onTelemetry(reading(other), T0 + 12 * 60_000))).toEqual([
      `cleared commsLost:${other}`,
    ]);
    expect(after.active()).toEqual([]);
  });

  it('keeps a restored segment supply loss until enough of its lamps are heard from', () => {
    const before = engine();
    for (const id of segment.lampIds) before.onTelemetry(reading(id), T0);
    const out = [];
    for (const id of segment.lampIds)
      out.push(...before.onTelemetry(reading(id, { supplyVoltage: 0, activePower: 0 }), T0 + 1));
    const raisedAlarm = out.filter((a) => a.type === 'segmentSupplyLoss');
    expect(raisedAlarm).toHaveLength(1);

    const after = engine();
    after.restore(raisedAlarm);
    // Ticks with no lamp heard from: the alarm holds.
    expect(after.tick(T0 + 60_000)).toEqual([]);
    const back: string[] = [];
    let heard = 0;
    let clearedAfter = 0;
    for (const id of segment.lampIds) {
      heard++;
      for (const line of summary(after.onTelemetry(reading(id), T0 + 120_000))) {
        back.push(line);
        clearedAfter = heard;
      }
    }
    expect(back).toEqual([`cleared segmentSupplyLoss:${segment.id}`]);
    // It cleared only once the lamps still unheard could no longer make a supply loss.
    const threshold = Math.max(
      SETTINGS.supplyLossMinLamps,
      Math.ceil(SETTINGS.supplyLossFraction * segment.lampIds.length),
    );
    expect(clearedAfter).toBe(segment.lampIds.length - threshold + 1);
  });

  it('expects reports from lamps that reported before a restart, not from lamps never heard', () => {
    const e = engine();
    const [known, unknown] = segment.lampIds;
    e.expectReports([known!, 'NOT-A-LAMP'], T0);
    expect(e.tick(T0 + 3 * 60_000)).toEqual([]);
    expect(summary(e.tick(T0 + 3 * 60_000 + 1))).toEqual([`raised commsLost:${known}`]);
    expect(e.active().map((a) => a.alarmId)).not.toContain(`commsLost:${unknown}`);
    expect(summary(e.onTelemetry(reading(known!), T0 + 4 * 60_000))).toEqual([
      `cleared commsLost:${known}`,
    ]);
  });
});

describe('alarm correctness found when tried', () => {
  it("checks a lamp's own day-burning report against the sun", () => {
    // 04:55 local in November: the sun is well below the horizon
    const night = engine(-20);
    const ev = { lampId: lamp.id, ts: T0, type: 'dayBurning' as const, active: true };
    expect(night.onEvent(ev, T0)).toEqual([]);
    const day = engine(25);
    expect(summary(day.onEvent(ev, T0))).toEqual([`raised dayBurning:${lamp.id}`]);
  });

  it('clears a lamp failure raised by an event after a minute of normal power', () => {
    const e = engine();
    e.onEvent({ lampId: lamp.id, ts: T0, type: 'lampFailure', active: true }, T0);
    expect(e.onTelemetry(reading(lamp.id), T0 + 1_000)).toEqual([]);
    expect(e.onTelemetry(reading(lamp.id), T0 + 30_000)).toEqual([]);
    expect(summary(e.onTelemetry(reading(lamp.id), T0 + 61_000))).toEqual([
      `cleared lampFailure:${lamp.id}`,
    ]);
    // a reading at standby power in between restarts the minute
    const f = engine();
    f.onEvent({ lampId: lamp.id, ts: T0, type: 'lampFailure', active: true }, T0);
    f.onTelemetry(reading(lamp.id), T0 + 1_000);
    f.onTelemetry(reading(lamp.id, { activePower: model.standbyPowerW }), T0 + 30_000);
    expect(f.onTelemetry(reading(lamp.id), T0 + 61_000)).toEqual([]);
    expect(f.active().map((a) => a.alarmId)).toContain(`lampFailure:${lamp.id}`);
  });

  it("a segment's supply-loss text follows the count of dark lamps", () => {
    const e = engine();
    const members = registry.lampsInSegment(segment.id);
    const raisedAt: string[] = [];
    members.forEach((l, i) => {
      for (const a of e.onTelemetry(reading(l.id, { supplyVoltage: 0 }), T0 + i))
        if (a.type === 'segmentSupplyLoss') raisedAt.push(a.detail);
    });
    // raised once while the lamps report, brought up to date on the next tick, once
    expect(raisedAt).toHaveLength(1);
    const update = e.tick(T0 + 5_000).filter((a) => a.type === 'segmentSupplyLoss');
    expect(update).toMatchObject([{ state: 'raised', alarmId: `segmentSupplyLoss:${segment.id}` }]);
    const last = update[0]?.detail;
    expect(last).toBe(`${members.length} of ${members.length} lamps without supply or silent`);
    expect(e.active().find((a) => a.type === 'segmentSupplyLoss')?.detail).toBe(last);
    expect(e.tick(T0 + 10_000)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { decodeMessage, type Telemetry } from '../../shared/contract/index.ts';
import { parseFaultSpec } from '../../simulator/faults.ts';
import { BATCH_GARBAGE, TELEMETRY_GARBAGE } from '../../simulator/garbage.ts';
import { createTestSim, decodeAll } from './simFixture.ts';

const LAMP = 'DOLL-0002';
const inject = (t: ReturnType<typeof createTestSim>, text: string) => {
  const parsed = parseFaultSpec(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return t.sim.injectFault(parsed.spec, t.now());
};
const readingsOf = (
  t: ReturnType<typeof createTestSim>,
  out: ReturnType<typeof t.run>,
  lampId = LAMP,
) => decodeAll(out, 'telemetry', t.now()).filter((r) => r.lampId === lampId);
const eventsOf = (t: ReturnType<typeof createTestSim>, out: ReturnType<typeof t.run>) =>
  decodeAll(out, 'event', t.now()).map((e) => `${e.lampId}:${e.type}:${e.active}`);

describe('fault specs', () => {
  it.each([
    ['cycling:DOLL-0001:onS=30,offS=10', true],
    ['supplyLoss:seg-03', true],
    ['clockDrift:*:offsetMs=-5000,ppm=200', true],
    ['meltdown:DOLL-0001', false],
    ['cycling:DOLL-0001:onS=0', false],
    ['cycling:DOLL-0001:speed=3', false],
    ['lampFailure', false],
  ])('%s parses: %s', (text, ok) => {
    expect(parseFaultSpec(text).ok).toBe(ok);
  });
});

describe('fault signatures in telemetry', () => {
  it('lamp failure: driven at 100 %, no light, standby power only, lampFailure event', () => {
    const t = createTestSim();
    t.run(2_000);
    expect(inject(t, `lampFailure:${LAMP}`)).toEqual([LAMP]);
    const out = t.run(3_000);
    const model = t.registry.model(t.registry.lamp(LAMP)!.modelId)!;
    for (const r of readingsOf(t, out)) {
      expect(r).toMatchObject({
        targetLevel: 100,
        actualLevel: 0,
        activePower: model.standbyPowerW,
      });
    }
    expect(eventsOf(t, out)).toEqual([`${LAMP}:lampFailure:true`]);
    t.sim.clearFault(LAMP, t.now());
    const after = t.run(6_000);
    expect(eventsOf(t, after)).toEqual([`${LAMP}:lampFailure:false`]);
    expect(readingsOf(t, after).at(-1)!.actualLevel).toBe(100);
  });

  it('dimming failure: full light and rated power while dimmed to 30 %', () => {
    const t = createTestSim();
    inject(t, `dimmingFailure:${LAMP}`);
    t.command(LAMP, { commandId: 'd-1', issuedAt: t.now(), type: 'override', level: 30 });
    const out = t.run(5_000);
    const model = t.registry.model(t.registry.lamp(LAMP)!.modelId)!;
    const last = readingsOf(t, out).at(-1)!;
    expect(last).toMatchObject({ targetLevel: 30, actualLevel: 100 });
    expect(last.activePower).toBeGreaterThan(0.85 * model.ratedPowerW);
    expect(eventsOf(t, out)).toEqual([`${LAMP}:dimmingFailure:true`]);
  });

  it('cycling: the light goes off and on by itself and the switch-on counter climbs', () => {
    const t = createTestSim();
    const before = readingsOf(t, t.run(1_000)).at(-1)!.switchOnCounter;
    inject(t, `cycling:${LAMP}:onS=6,offS=4`);
    const out = t.run(60_000);
    const rs = readingsOf(t, out);
    expect(new Set(rs.map((r) => r.actualLevel))).toEqual(new Set([0, 100]));
    expect(rs.every((r) => r.targetLevel === 100)).toBe(true);
    expect(rs.at(-1)!.switchOnCounter - before).toBeGreaterThanOrEqual(5);
    expect(eventsOf(t, out)).toEqual([`${LAMP}:lampCycling:true`]);
  });

  it('day burning: full light at noon while the program says off', () => {
    const t = createTestSim({ start: Date.parse('2026-11-15T11:00:00Z'), lamps: 40 });
    const lit = [...t.sim.states.values()].find((s) => s.lamp.hasLightSensor)!.lamp.id;
    t.run(2_000);
    expect(readingsOf(t, t.sent, lit).at(-1)).toMatchObject({ targetLevel: 0, actualLevel: 0 });
    inject(t, `dayBurning:${lit}`);
    const out = t.run(3_000);
    const last = readingsOf(t, out, lit).at(-1)!;
    expect(last).toMatchObject({ targetLevel: 0, actualLevel: 100 });
    expect(last.illuminance).toBeGreaterThan(1_000);
    expect(eventsOf(t, out)).toEqual([`${lit}:dayBurning:true`]);
  });

  it('supply loss on a segment: 0 V, no power, no light on every lamp of it; others unaffected', () => {
    const t = createTestSim({ lamps: 40 });
    const seg = t.registry.lamp(LAMP)!.segmentId;
    const inSeg = t.registry.lampsInSegment(seg).map((l) => l.id);
    expect(inject(t, `supplyLoss:${seg}`).sort()).toEqual([...inSeg].sort());
    const out = t.run(3_000);
    const all = decodeAll(out, 'telemetry', t.now());
    const lost = all.filter((r) => inSeg.includes(r.lampId));
    expect(lost.length).toBeGreaterThanOrEqual(inSeg.length);
    for (const r of lost) {
      expect(r).toMatchObject({
        supplyVoltage: 0,
        activePower: 0,
        supplyCurrent: 0,
        actualLevel: 0,
      });
    }
    for (const r of all.filter((x) => !inSeg.includes(x.lampId)))
      expect(r.supplyVoltage).toBeGreaterThan(215);
    expect(eventsOf(t, out).filter((e) => e.endsWith(':supplyLoss:true'))).toHaveLength(
      inSeg.length,
    );
    const counter = lost.at(-1)!.switchOnCounter;
    t.sim.clearFault(seg, t.now());
    const back = readingsOf(t, t.run(3_000), lost.at(-1)!.lampId).at(-1)!;
    expect(back.supplyVoltage).toBeGreaterThan(215);
    expect(back.switchOnCounter).toBe(counter + 1);
  });

  it('silent comms loss: nothing at all from the lamp, not even acks', () => {
    const t = createTestSim();
    inject(t, `commsLoss:${LAMP}`);
    expect(t.command(LAMP, { commandId: 's-1', issuedAt: t.now(), type: 'release' })).toEqual([]);
    const out = t.run(5_000);
    expect(out.filter((o) => o.topic.includes(`/${LAMP}/`))).toEqual([]);
    expect(readingsOf(t, out, 'DOLL-0001').length).toBeGreaterThanOrEqual(4);
  });

  it('clock drift: timestamps run ahead and the contract rejects them', () => {
    const t = createTestSim();
    inject(t, `clockDrift:${LAMP}:offsetMs=600000`);
    const out = t.run(3_000).filter((o) => o.kind === 'telemetry' && o.topic.includes(LAMP));
    expect(out.length).toBeGreaterThan(0);
    for (const o of out) {
      const d = decodeMessage(o.topic, o.payload, { now: t.now() });
      expect(d.ok ? 'accepted' : d.code).toBe('clock_skew');
      // Readings were taken during the last 3 s of wall time, each 10 minutes ahead of it.
      const ahead = (JSON.parse(o.payload) as Telemetry).ts - t.now();
      expect(ahead).toBeGreaterThan(596_900);
      expect(ahead).toBeLessThanOrEqual(600_000);
    }
    inject(t, `clockDrift:DOLL-0003:offsetMs=0,ppm=100000`);
    t.run(20_000);
    // 10 % fast: after 20 s the clock is about 2 s ahead, and still inside the contract's skew.
    const drifting = t
      .run(2_000)
      .filter((o) => o.kind === 'telemetry' && o.topic.includes('/DOLL-0003/'));
    const last = decodeAll(drifting, 'telemetry', t.now()).at(-1)!;
    expect(last.ts - t.now()).toBeGreaterThan(1_000);
    expect(last.ts - t.now()).toBeLessThan(2_300);
  });
});

describe('garbage mode', () => {
  it('every variant fails the shared schemas', () => {
    const t = createTestSim();
    const valid = decodeAll(t.run(1_500), 'telemetry', t.now())[0]!;
    const topic = `gadelys/v1/lamp/${valid.lampId}/telemetry`;
    for (const v of TELEMETRY_GARBAGE) {
      const d = decodeMessage(topic, v.make(valid), { now: t.now() });
      expect({ variant: v.name, ok: d.ok }).toEqual({ variant: v.name, ok: false });
    }
    for (const v of BATCH_GARBAGE) {
      const d = decodeMessage(
        'gadelys/v1/segment/seg-01/telemetry',
        v.make('seg-01', 'ctl-01', valid),
        { now: t.now() },
      );
      expect({ variant: v.name, ok: d.ok }).toEqual({ variant: v.name, ok: false });
    }
  });

  it('a garbage lamp publishes only malformed telemetry, rotating through the variants', () => {
    const t = createTestSim();
    inject(t, `garbage:${LAMP}`);
    const out = t
      .run(TELEMETRY_GARBAGE.length * 1_000 + 500)
      .filter((o) => o.topic.endsWith(`/${LAMP}/telemetry`));
    expect(out.length).toBeGreaterThanOrEqual(TELEMETRY_GARBAGE.length);
    const codes = new Set<string>();
    for (const o of out) {
      expect(o.kind).toBe('garbage');
      const d = decodeMessage(o.topic, o.payload, { now: t.now() });
      if (d.ok) throw new Error(`garbage accepted: ${o.payload}`);
      codes.add(d.code);
    }
    expect([...codes].sort()).toEqual(['not_json', 'schema', 'too_large', 'topic_mismatch']);
  });

  it('in segment mode a garbage lamp adds a malformed batch beside the valid one', () => {
    const t = createTestSim({ mode: 'segment', lamps: 40 });
    const seg = t.registry.lamp(LAMP)!.segmentId;
    inject(t, `garbage:${LAMP}`);
    const out = t.run(5_000).filter((o) => o.topic.endsWith(`/segment/${seg}/telemetry`));
    const bad = out.filter((o) => o.kind === 'garbage');
    expect(bad.length).toBeGreaterThanOrEqual(4);
    for (const o of bad) expect(decodeMessage(o.topic, o.payload, { now: t.now() }).ok).toBe(false);
    const good = decodeAll(
      out.filter((o) => o.kind === 'batch'),
      'batch',
      t.now(),
    );
    expect(good.length).toBeGreaterThanOrEqual(4);
    expect(good.flatMap((b) => b.readings.map((r) => r.lampId))).not.toContain(LAMP);
  });
});

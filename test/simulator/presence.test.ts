import { describe, expect, it } from 'vitest';
import { createRandom } from '../../shared/random.ts';
import { poisson, stepTraffic } from '../../simulator/presence.ts';
import { createTestSim, decodeAll } from './simFixture.ts';

describe('presence-adaptive lighting', () => {
  it('detects a road user at each sensor post it passes, once, in its direction', () => {
    const users = [{ kind: 'car' as const, x: 0, v: 10 }];
    const step = stepTraffic(
      users,
      { lengthM: 500, peakPerHour: 0, localHour: 21, dtMs: 10_000 },
      [0, 50, 100, 150],
      () => 0.5,
    );
    expect(step.crossings).toEqual([
      { distanceM: 50, direction: 1 },
      { distanceM: 100, direction: 1 },
    ]);
    const back = stepTraffic(
      [{ kind: 'cyclist', x: 120, v: -5 }],
      { lengthM: 500, peakPerHour: 0, localHour: 21, dtMs: 10_000 },
      [0, 50, 100, 150],
      () => 0.5,
    );
    expect(back.crossings).toEqual([{ distanceM: 100, direction: -1 }]);
    const gone = stepTraffic(
      [{ kind: 'car', x: 490, v: 10 }],
      { lengthM: 500, peakPerHour: 0, localHour: 21, dtMs: 10_000 },
      [],
      () => 0.5,
    );
    expect(gone.users).toEqual([]);
  });

  it('draws Poisson arrivals with the right mean', () => {
    const rnd = createRandom(3);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += poisson(0.2, rnd);
    expect(sum / 20_000).toBeGreaterThan(0.18);
    expect(sum / 20_000).toBeLessThan(0.22);
  });

  it('without traffic every lamp stays at the base level', () => {
    const t = createTestSim({ program: 'adaptive', lamps: 40 });
    const rs = decodeAll(t.run(10_000, 200), 'telemetry', t.now());
    expect(new Set(rs.map((r) => r.targetLevel))).toEqual(new Set([20]));
  });

  it('raises the posts ahead of road users to full, holds, then falls back', () => {
    const t = createTestSim({ program: 'adaptive', lamps: 40, traffic: 240, intervalMs: 2_000 });
    const rs = decodeAll(t.run(8 * 60_000, 250), 'telemetry', t.now());
    expect(t.sim.counters.detections).toBeGreaterThan(0);
    expect(rs.some((r) => (r.presenceCount ?? 0) > 0)).toBe(true);
    const byLamp = new Map<string, number[]>();
    for (const r of rs) byLamp.set(r.lampId, [...(byLamp.get(r.lampId) ?? []), r.targetLevel]);
    // Some post went 20 -> 100 -> 20: raised by a passing road user and released after the hold.
    const cycled = [...byLamp.values()].filter((levels) => /20,(100,)+20/.test(levels.join(',')));
    expect(cycled.length).toBeGreaterThan(0);
    // The hold is 60 s: a raise lasts at least that long (30 readings at 2 s).
    for (const levels of cycled) {
      const runs = levels.join(',').match(/(100,)+/g) ?? [];
      expect(Math.max(...runs.map((r) => r.split(',').length - 1))).toBeGreaterThanOrEqual(28);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { createTestSim, decodeAll } from './simFixture.ts';

const LAMP = 'DOLL-0001';
const lastReading = (t: ReturnType<typeof createTestSim>, out = t.sent) =>
  decodeAll(out, 'telemetry', t.now())
    .filter((r) => r.lampId === LAMP)
    .at(-1)!;

describe('commands', () => {
  it('ramps an override, acks accepted at once and applied with the level once the ramp ends', () => {
    const t = createTestSim();
    t.run(2_000);
    expect(lastReading(t).actualLevel).toBe(100);
    const issuedAt = t.now();
    const accepted = decodeAll(
      t.command(LAMP, { commandId: 'c-1', issuedAt, type: 'override', level: 20, rampMs: 10_000 }),
      'ack',
      t.now(),
    );
    expect(accepted).toMatchObject([
      { commandId: 'c-1', lampId: LAMP, status: 'accepted', actualLevel: 100 },
    ]);

    const half = t.run(5_000);
    expect(decodeAll(half, 'ack', t.now())).toEqual([]);
    const mid = lastReading(t, half);
    expect(mid.targetLevel).toBe(20);
    expect(mid.actualLevel).toBeGreaterThan(50);
    expect(mid.actualLevel).toBeLessThan(70);

    const rest = t.run(5_500);
    const applied = decodeAll(rest, 'ack', t.now());
    expect(applied).toMatchObject([{ commandId: 'c-1', status: 'applied', actualLevel: 20 }]);
    expect(applied[0]!.ts).toBeGreaterThanOrEqual(issuedAt + 10_000);
    expect(applied[0]!.ts).toBeLessThan(issuedAt + 10_300);
    expect(lastReading(t).actualLevel).toBe(20);
  });

  it('acks a resent command again without redoing it, so it cannot undo a newer one', () => {
    const t = createTestSim();
    const a = { commandId: 'c-a', issuedAt: t.now(), type: 'override' as const, level: 30 };
    t.command(LAMP, a);
    t.run(3_000);
    t.command(LAMP, { commandId: 'c-b', issuedAt: t.now(), type: 'release' });
    t.run(6_000);
    expect(lastReading(t).actualLevel).toBe(100);
    // The gateway missed the ack of c-a and sends it again.
    const again = decodeAll(t.command(LAMP, a), 'ack', t.now());
    expect(again).toMatchObject([{ commandId: 'c-a', status: 'applied' }]);
    t.run(6_000);
    expect(lastReading(t).actualLevel).toBe(100);
  });

  it('returns to the program on release and when an override expires', () => {
    const t = createTestSim();
    t.command(LAMP, {
      commandId: 'c-2',
      issuedAt: t.now(),
      type: 'override',
      level: 30,
      expiresAt: t.now() + 20_000,
    });
    t.run(10_000);
    expect(lastReading(t).actualLevel).toBe(30);
    t.run(15_000);
    expect(lastReading(t).actualLevel).toBe(100);

    t.command(LAMP, { commandId: 'c-3', issuedAt: t.now(), type: 'override', level: 40 });
    t.run(3_000);
    expect(lastReading(t).actualLevel).toBe(40);
    const release = t.command(LAMP, { commandId: 'c-4', issuedAt: t.now(), type: 'release' });
    expect(decodeAll(release, 'ack', t.now())[0]!.status).toBe('accepted');
    const after = t.run(5_000);
    expect(decodeAll(after, 'ack', t.now())).toMatchObject([
      { commandId: 'c-4', status: 'applied', actualLevel: 100 },
    ]);
  });

  it('applies an assigned program', () => {
    const t = createTestSim();
    const program = {
      id: 'p-low',
      name: 'low',
      steps: [{ at: { kind: 'fixed', time: '12:00' }, level: 35 }],
    };
    t.command(LAMP, { commandId: 'c-5', issuedAt: t.now(), type: 'assignProgram', program });
    const out = t.run(5_000);
    expect(decodeAll(out, 'ack', t.now())).toMatchObject([
      { commandId: 'c-5', status: 'applied', actualLevel: 35 },
    ]);
  });

  it.each([
    ['expired', { commandId: 'c-6', type: 'override', level: 10, expiresAt: -60_000 }, /^expired/],
    [
      'out of range',
      { commandId: 'c-7', type: 'override', level: 150 },
      /invalid command: schema: .*level/,
    ],
    ['unknown type', { commandId: 'c-8', type: 'explode' }, /invalid command: schema/],
    [
      'issued in the future',
      { commandId: 'c-9', type: 'release', issuedAt: 3_600_000 },
      /invalid command: clock_skew/,
    ],
  ])('rejects a command that is %s, with the reason', (_, body, reason) => {
    const t = createTestSim();
    const rel = (x: unknown) => (typeof x === 'number' ? t.now() + x : x);
    const cmd = {
      issuedAt: t.now(),
      ...body,
      expiresAt: rel((body as { expiresAt?: number }).expiresAt),
    };
    if ('issuedAt' in body) cmd.issuedAt = t.now() + (body.issuedAt as number);
    const acks = decodeAll(t.command(LAMP, cmd), 'ack', t.now());
    expect(acks).toHaveLength(1);
    expect(acks[0]!.status).toBe('rejected');
    expect(acks[0]!.reason).toMatch(reason);
    expect(t.sim.counters.commandsRejected).toBe(1);
    t.run(3_000);
    expect(lastReading(t).actualLevel).toBe(100);
  });

  it('cannot ack a payload without a usable commandId, but counts it', () => {
    const t = createTestSim();
    expect(t.command(LAMP, 'not json')).toEqual([]);
    expect(t.command(LAMP, { commandId: 'bad id/x', type: 'release', issuedAt: t.now() })).toEqual(
      [],
    );
    expect(t.sim.counters.commandsRejected).toBe(2);
  });
});

/** The report figures' pure cores: steady state, availability, usage, creep, rates, response. */
import { describe, expect, test } from 'vitest';
import { mergeBucketRows } from '../../services/gateway/reports/buckets.ts';
import { issuedAtOf, responseTimesByLamp } from '../../services/gateway/reports/commandResponse.ts';
import {
  availability,
  dimmingCurve,
  failureRates,
  firstReportOf,
  powerCreep,
  steadyLevels,
  usage,
} from '../../services/gateway/reports/figures.ts';
import { compareGroups, type LampNight } from '../../services/gateway/reports/trialReport.ts';
import type { PartialRow } from '../../shared/storage/port.ts';
import { ANY_LEVEL, SLOT_MS, steadyRowsOf } from '../../shared/storage/steady.ts';

const M = 60_000;
const H = 60 * M;
const tags = { segmentId: 's', vendorId: 'v', modelId: 'm' };

/** A 1-minute row as `partials` gives it: min/max of levels, power and hours sum/n. */
function minute(
  lampId: string,
  i: number,
  o: { lo: number; hi?: number; target?: number; w: number; h?: number },
): PartialRow {
  const hi = o.hi ?? o.lo;
  const target = o.target ?? o.lo;
  return {
    lampId,
    ...tags,
    ts: i * M,
    count: 6,
    actualLevel_min: o.lo,
    actualLevel_max: hi,
    targetLevel_min: target,
    targetLevel_max: target,
    activePower_sum: o.w * 6,
    activePower_n: 6,
    operatingHours_sum: (o.h ?? 1000) * 6,
    operatingHours_n: 6,
  };
}

describe('steady state', () => {
  test('a minute counts when it held the target and the level had held for the 10 minutes before', () => {
    const rows: PartialRow[] = [];
    // 0-19: 50 %; 20: 10 -> 90 inside the minute; 21-39: 10 %; 40-59: 40 % against a 60 % target.
    for (let i = 0; i < 20; i++) rows.push(minute('a', i, { lo: 50, w: 20 }));
    rows.push(minute('a', 20, { lo: 10, hi: 90, w: 30 }));
    for (let i = 21; i < 40; i++) if (i !== 30) rows.push(minute('a', i, { lo: 10, w: 5 }));
    for (let i = 40; i < 60; i++) rows.push(minute('a', i, { lo: 40, target: 60, w: 17 }));
    const tier = steadyRowsOf(rows, 0, H);
    const at = (level: string) => tier.find((r) => r.level === level);
    // 50 %: the lamp's first minute is 0, so minutes 10-19 had held since 10 minutes before.
    expect(at('50')).toMatchObject({ minutes: 10, count: 10 * 6, activePower_sum: 10 * 6 * 20 });
    // 10 %: minute 20 straddles; minute 31 has 21 behind it (minute 30 has no readings and is
    // passed over), so 31-39 count: 9 minutes.
    expect(at('10')).toMatchObject({ minutes: 9, activePower_n: 9 * 6 });
    expect(at('40')).toBeUndefined();
    expect(at('60')).toBeUndefined();
    expect(at(ANY_LEVEL)).toMatchObject({ minutes: 59, count: 59 * 6, first: 0, slots: 0b111111 });
    for (const r of tier) expect(r.hourCount).toBe(59 * 6);
    const curve = dimmingCurve(steadyLevels(tier, ['a']));
    expect(curve.find((c) => c.level === 50)).toEqual({
      level: 50,
      powerW: 20,
      samples: 10 * 6,
      minutes: 10,
    });
    expect(curve.find((c) => c.level === 10)!.powerW).toBe(5);
    expect(curve.find((c) => c.level === 40)!.powerW).toBeNull();
    expect(steadyLevels(tier, ['b'])).toEqual([]);
  });

  test('the minutes before the window count for the settle time only', () => {
    const rows = Array.from({ length: 30 }, (_, i) => minute('a', i, { lo: 70, w: 30 }));
    const tier = steadyRowsOf(rows, 10 * M, 30 * M);
    expect(tier.find((r) => r.level === '70')).toMatchObject({ ts: 0, minutes: 20 });
    // Without the minutes before, the first 10 of the window only settle.
    expect(
      steadyRowsOf(rows.slice(10), 10 * M, 30 * M).find((r) => r.level === '70'),
    ).toMatchObject({ minutes: 10 });
    expect(tier.find((r) => r.level === ANY_LEVEL)).toMatchObject({ minutes: 20, first: 10 * M });
  });
});

test('usage: spread of the counters over the 12-hour buckets', () => {
  const b = (ts: number, h: [number, number], s: [number, number]): PartialRow => ({
    lampId: 'a',
    ...tags,
    ts,
    operatingHours_min: h[0],
    operatingHours_max: h[1],
    switchOnCounter_min: s[0],
    switchOnCounter_max: s[1],
  });
  const buckets = mergeBucketRows([[b(0, [1000, 1006], [5, 5]), b(12 * H, [1006, 1010], [5, 6])]]);
  expect(usage(buckets, ['a'])).toMatchObject({ operatingHours: 10, switchOns: 1 });
});

test('availability: only the elapsed slots since the first report count', () => {
  // 20 minutes into the lab (first reading at minute 100): two whole slots, both with data.
  const rows = Array.from({ length: 21 }, (_, i) => minute('a', 100 + i, { lo: 0, w: 1 }));
  const tier = steadyRowsOf(rows, 0, 144 * SLOT_MS);
  const w = { from: 0, to: 144 * SLOT_MS };
  const first = firstReportOf(tier);
  expect(first).toBe(100 * M);
  expect(availability(tier, ['a'], w, first, 121 * M)).toEqual({
    pct: 100,
    bucketsWithData: 2,
    bucketsExpected: 2,
  });
  // A second lamp that never reported halves it; nothing reported at all: null.
  expect(availability(tier, ['a', 'b'], w, first, 120 * M).pct).toBe(50);
  expect(availability(tier, ['a'], w, undefined, 120 * M).pct).toBeNull();
});

test('power creep: the slope of steady power against operating hours', () => {
  const rows: PartialRow[] = [];
  // Three lamps of different ages at 100 %: 0.2 W more per 1,000 h; two hours each.
  [10_000, 20_000, 30_000].forEach((h, k) => {
    for (let i = 0; i < 120; i++)
      rows.push(minute(`l${k}`, i, { lo: 100, w: 50 + (h / 1000) * 0.2, h }));
  });
  const c = powerCreep(steadyLevels(steadyRowsOf(rows, 0, 2 * H), ['l0', 'l1', 'l2']));
  expect(c.atLevel).toBe(100);
  expect(c.wPer1000h).toBeCloseTo(0.2, 3);
  expect(c.samples).toBe(6);
});

test('failures per 1,000 operating hours, by type', () => {
  expect(
    failureRates([{ type: 'lampFailure' }, { type: 'lampFailure' }, { type: 'supplyLoss' }], 500),
  ).toEqual([
    { type: 'lampFailure', count: 2, per1000h: 4 },
    { type: 'supplyLoss', count: 1, per1000h: 2 },
  ]);
  expect(failureRates([{ type: 'x' }], 0)[0]!.per1000h).toBeNull();
});

test('command response from stored acks: issue time from the id, first answer per lamp', () => {
  const t = 1_800_000_000_000;
  const id = `cmd-${t.toString(36)}-0123456789`;
  expect(issuedAtOf(id)).toBe(t);
  expect(issuedAtOf('manual-7')).toBeUndefined();
  const ack = (
    lampId: string,
    ms: number,
    status: 'accepted' | 'applied' = 'accepted',
    commandId = id,
  ) => ({
    commandId,
    lampId,
    ts: t + ms,
    status,
    ...tags,
  });
  const rtts = responseTimesByLamp([
    ack('a', 120),
    ack('a', 400), // a resent copy's ack: the first answer counts
    ack('a', 900, 'applied'),
    ack('b', 80),
    ack('c', 50, 'accepted', 'manual-7'),
  ]);
  expect(Object.fromEntries(rtts)).toEqual({ a: [120], b: [80] });
});

describe('trial comparison', () => {
  const nights = (lamp: string, kWh: number, profile = '50/30') =>
    ['n1', 'n2', 'n3'].map((night) => ({ lampId: lamp, night, kWh, profile }));

  test('compares only lamp-nights of equal commanded levels', () => {
    const test: LampNight[] = ['t1', 't2', 't3'].flatMap((l) => nights(l, 0.9));
    const control: LampNight[] = [
      ...['c1', 'c2', 'c3'].flatMap((l) => nights(l, 1.0)),
      // a control lamp run brighter: another profile, never compared
      ...nights('c4', 5, '100/100'),
    ];
    const c = compareGroups(test, control, { seed: 1 });
    expect(c.differenceKWh).toBe(-0.1);
    expect(c.differencePct).toBe(-10);
    expect(c.matched).toEqual({ testLampNights: 9, controlLampNights: 9, strata: 3 });
    expect(c.ci95KWh).toEqual({ low: -0.1, high: -0.1 });
    expect(c.conclusion).toBe('test uses less energy');
    expect(c.control.lamps).toBe(4);
  });

  test('says when the data are too few', () => {
    const c = compareGroups(nights('t1', 1), [...nights('c1', 1), ...nights('c2', 1)], { seed: 1 });
    expect(c.conclusion).toBe('too few data to conclude');
    expect(c.ci95KWh).toBeNull();
  });
});

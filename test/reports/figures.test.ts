/** The report figures' pure cores: steady state, availability, usage, creep, rates, response. */
import { describe, expect, test } from 'vitest';
import { mergeBucketRows, REPORT_BUCKET_MS } from '../../services/gateway/reports/buckets.ts';
import { issuedAtOf, responseTimesByLamp } from '../../services/gateway/reports/commandResponse.ts';
import {
  availability,
  dimmingCurve,
  failureRates,
  powerCreep,
  steadyBuckets,
  usage,
} from '../../services/gateway/reports/figures.ts';
import { compareGroups, type LampNight } from '../../services/gateway/reports/trialReport.ts';
import type { PartialRow } from '../../shared/storage/port.ts';

const B = REPORT_BUCKET_MS;
const tags = { segmentId: 's', vendorId: 'v', modelId: 'm' };

/** A bucket row as `partials` gives it: min/max of levels, power sum/n, counters. */
function row(
  lampId: string,
  i: number,
  o: { lo: number; hi?: number; target?: number; w: number; h?: number },
): PartialRow {
  const hi = o.hi ?? o.lo;
  const target = o.target ?? o.lo;
  return {
    lampId,
    ...tags,
    ts: i * B,
    count: 10,
    actualLevel_min: o.lo,
    actualLevel_max: hi,
    targetLevel_min: target,
    targetLevel_max: target,
    activePower_sum: o.w * 10,
    activePower_n: 10,
    operatingHours_min: o.h ?? 1000,
    operatingHours_max: (o.h ?? 1000) + 0.1,
    operatingHours_sum: ((o.h ?? 1000) + 0.05) * 10,
    operatingHours_n: 10,
    switchOnCounter_min: 5,
    switchOnCounter_max: i === 3 ? 6 : 5,
  };
}

describe('steady state', () => {
  test('a bucket counts when it and the one before held the target; straddling ones never', () => {
    const buckets = mergeBucketRows([
      [
        row('a', 0, { lo: 50, w: 20 }),
        row('a', 1, { lo: 50, w: 20 }),
        row('a', 2, { lo: 10, hi: 90, w: 30 }),
        row('a', 3, { lo: 10, w: 5 }),
        row('a', 4, { lo: 10, w: 5 }),
        row('a', 5, { lo: 40, target: 60, w: 17 }),
        row('a', 6, { lo: 40, target: 60, w: 17 }),
      ],
    ]);
    const steady = steadyBuckets(buckets, ['a']);
    expect(steady.map((s) => [s.bucket.ts / B, s.level])).toEqual([
      [1, 50],
      [4, 10],
    ]);
    const curve = dimmingCurve(steady);
    expect(curve.find((c) => c.level === 50)).toEqual({
      level: 50,
      powerW: 20,
      samples: 10,
      buckets: 1,
    });
    expect(curve.find((c) => c.level === 40)!.powerW).toBeNull();
    expect(usage(buckets, ['a'])).toMatchObject({ operatingHours: 0.1, switchOns: 1 });
  });
});

test('availability: only the elapsed buckets since the first report count', () => {
  const buckets = mergeBucketRows([[row('a', 10, { lo: 0, w: 1 }), row('a', 11, { lo: 0, w: 1 })]]);
  const w = { from: 0, to: 144 * B };
  // 20 minutes into the lab: two whole buckets, both with data.
  expect(availability(buckets, ['a'], w, 10 * B, 12 * B + 1)).toEqual({
    pct: 100,
    bucketsWithData: 2,
    bucketsExpected: 2,
  });
  // A second lamp that never reported halves it; nothing reported at all: null.
  expect(availability(buckets, ['a', 'b'], w, 10 * B, 12 * B).pct).toBe(50);
  expect(availability(buckets, ['a'], w, undefined, 12 * B).pct).toBeNull();
});

test('power creep: the slope of steady power against operating hours', () => {
  const rows: PartialRow[] = [];
  // Three lamps of different ages at 100 %: 0.2 W more per 1,000 h.
  [10_000, 20_000, 30_000].forEach((h, k) => {
    for (let i = 0; i < 3; i++)
      rows.push(row(`l${k}`, i, { lo: 100, w: 50 + (h / 1000) * 0.2, h }));
  });
  const c = powerCreep(steadyBuckets(mergeBucketRows([rows]), ['l0', 'l1', 'l2']));
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

/**
 * The rollup half of the store contract, run against every adapter: rollups computed in the
 * store equal a from-scratch computation in JavaScript over the same readings, computing them
 * again changes nothing, reads that use rollups answer what raw data answers, last-state,
 * replay and retention.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TELEMETRY_FIELDS } from '../../shared/contract/telemetry.ts';
import type {
  Aggregate,
  PartialRow,
  RollupState,
  Store,
  StoredStatus,
  StoredTelemetry,
} from '../../shared/storage/port.ts';
import { parseQuery } from '../../shared/storage/queries.ts';
import {
  composedEnergy,
  composedHistory,
  computeRollups,
  NO_ROLLUPS,
} from '../../shared/storage/rollup.ts';
import { ROLLUP_STATS, statColumn } from '../../shared/storage/schema.ts';

/** A whole hour, so hour buckets are easy to read. */
export const R0 = Date.UTC(2026, 10, 21, 0, 0, 0);
const MIN = 60_000;
const HOUR = 3_600_000;
/** Three lamps every 20 s for 2 h 30 min: 450 readings each. */
const STEP = 20_000;
const SPAN = 150 * MIN;

const LAMPS = [
  { lampId: 'DOLL-0101', segmentId: 'seg-01', vendorId: 'nordlys', modelId: 'nordlys-arc-75' },
  { lampId: 'DOLL-0102', segmentId: 'seg-01', vendorId: 'lumo', modelId: 'lumo-x' },
  { lampId: 'DOLL-0103', segmentId: 'seg-02', vendorId: 'nordlys', modelId: 'nordlys-arc-75' },
] as const;

/** Deterministic, varied values; lamp 1 has a light sensor on every other reading. */
export function rollupReading(lamp: number, i: number): StoredTelemetry {
  const wave = Math.sin(i / 7 + lamp) * 40 + 50;
  return {
    ...LAMPS[lamp]!,
    seq: i,
    ts: R0 + i * STEP,
    targetLevel: Math.round(wave),
    actualLevel: Math.round(wave * 10) / 10,
    activePower: 20 + lamp * 5 + (i % 11) * 1.25,
    activeEnergy: 1000 + lamp * 100 + i * 0.003,
    supplyVoltage: 228 + (i % 5),
    supplyCurrent: 0.1 + (i % 3) * 0.05,
    powerFactor: 0.9 + (i % 4) * 0.01,
    operatingHours: 5000 + i / 180,
    switchOnCounter: 40 + Math.floor(i / 100),
    gearTemperature: 30 + (i % 13) / 2,
    ...(lamp === 1 && i % 2 === 0 ? { illuminance: 3 + (i % 9) } : {}),
  };
}

export const allReadings = () =>
  LAMPS.flatMap((_, l) => Array.from({ length: SPAN / STEP }, (_, i) => rollupReading(l, i)));

/** What a rollup row must hold, computed here from the readings themselves. */
export function expectedRollups(readings: readonly StoredTelemetry[], bucketMs: number) {
  const out = new Map<string, Record<string, number | string>>();
  const sorted = [...readings].sort((a, b) => a.ts - b.ts);
  for (const r of sorted) {
    const t = Math.floor(r.ts / bucketMs) * bucketMs;
    const key = `${r.lampId}@${t}`;
    let row = out.get(key);
    if (!row) {
      row = { lampId: r.lampId, ts: t, count: 0 };
      out.set(key, row);
    }
    row.count = (row.count as number) + 1;
    for (const f of TELEMETRY_FIELDS) {
      const v = r[f];
      if (v === undefined) continue;
      const c = (s: (typeof ROLLUP_STATS)[number]) => statColumn(f, s);
      row[c('sum')] = ((row[c('sum')] as number | undefined) ?? 0) + v;
      row[c('n')] = ((row[c('n')] as number | undefined) ?? 0) + 1;
      row[c('min')] = Math.min((row[c('min')] as number | undefined) ?? v, v);
      row[c('max')] = Math.max((row[c('max')] as number | undefined) ?? v, v);
      row[c('last')] = v;
    }
  }
  return out;
}

/** Rollup rows as the store holds them, keyed like `expectedRollups`. */
export async function storedRollups(
  store: Store,
  resolution: '1m' | '1h',
  from: number,
  to: number,
) {
  const bucketMs = resolution === '1m' ? MIN : HOUR;
  const out = new Map<string, Record<string, number | string>>();
  for (let a = from; a < to; a += 10 * HOUR) {
    const rows = await store.partials({
      source: resolution,
      from: a,
      to: Math.min(to, a + 10 * HOUR),
      bucketMs,
      fields: [...TELEMETRY_FIELDS],
      stats: [...ROLLUP_STATS],
      count: true,
    });
    for (const r of rows) out.set(`${r.lampId}@${r.ts}`, r);
  }
  return out;
}

/** Compare rollup rows column by column (sums within rounding, the rest exactly). */
export function expectSameRollups(
  actual: Map<string, Record<string, number | string>>,
  expected: Map<string, Record<string, number | string>>,
) {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, want] of expected) {
    const got = actual.get(key) as Record<string, number | string>;
    for (const [column, value] of Object.entries(want)) {
      if (typeof value === 'string') expect(got[column], `${key} ${column}`).toBe(value);
      else if (column.endsWith('_sum'))
        expect(got[column] as number, `${key} ${column}`).toBeCloseTo(value, 6);
      else expect(got[column], `${key} ${column}`).toBe(value);
    }
  }
}

/** Compute every rollup of [from, to) the way the processor does: minutes, then hours. */
export async function rollUp(store: Store, from: number, to: number) {
  for (let a = from; a < to; a += 10 * MIN)
    await computeRollups(store, '1m', a, Math.min(to, a + 10 * MIN));
  for (let a = from; a < to; a += HOUR) await computeRollups(store, '1h', a, a + HOUR);
}

export function rollupContract(
  name: string,
  open: () => Promise<Store>,
  cleanup?: () => Promise<void>,
) {
  describe(`Store rollup contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    it('computes 1-minute and 1-hour rollups equal to a computation over the raw readings, idempotently', async () => {
      const readings = allReadings();
      await store.writeTelemetry(readings);
      await rollUp(store, R0, R0 + 3 * HOUR);
      const minutes = await storedRollups(store, '1m', R0, R0 + 3 * HOUR);
      const hours = await storedRollups(store, '1h', R0, R0 + 3 * HOUR);
      expectSameRollups(minutes, expectedRollups(readings, MIN));
      expectSameRollups(hours, expectedRollups(readings, HOUR));
      expect(minutes.size).toBe(3 * 150);
      expect(hours.size).toBe(3 * 3);

      // Replayed, duplicated and late readings, rolled up again: the same rows.
      await store.writeTelemetry(readings.slice(100, 400));
      await store.writeTelemetry([...readings].reverse().slice(0, 50));
      await rollUp(store, R0, R0 + 3 * HOUR);
      await rollUp(store, R0 + HOUR, R0 + 2 * HOUR);
      expectSameRollups(
        await storedRollups(store, '1m', R0, R0 + 3 * HOUR),
        expectedRollups(readings, MIN),
      );
      expectSameRollups(
        await storedRollups(store, '1h', R0, R0 + 3 * HOUR),
        expectedRollups(readings, HOUR),
      );
    });

    describe('reads by resolution', () => {
      /** The store's reads with the rollups it holds, and with none (raw only). */
      const rawOnly = (s: Store) => ({
        partials: s.partials,
        rollupState: async () => NO_ROLLUPS,
      });
      const counting = (s: Store, sources: string[]) => ({
        partials: (q: Parameters<Store['partials']>[0]) => {
          sources.push(q.source);
          return s.partials(q);
        },
        rollupState: () => s.rollupState(),
      });
      // Complete through 2 h 10 min: hourly data for the first two hours, then minutes.
      const state: RollupState = {
        '1m': { since: R0, completeUntil: R0 + 130 * MIN },
        '1h': { since: R0, completeUntil: R0 + 2 * HOUR },
      };

      beforeEach(async () => {
        await store.writeTelemetry(allReadings());
        await rollUp(store, R0, R0 + 130 * MIN);
        await store.writeRollupState(state);
      });

      it('keeps and reads back the rollup state', async () => {
        expect(await store.rollupState()).toEqual(state);
      });

      const windows: [string, number, number, number][] = [
        ['aligned hours', R0, R0 + 3 * HOUR, HOUR],
        ['two-hour buckets, unaligned edges', R0 + 7 * MIN + 20_000, R0 + 149 * MIN, 2 * HOUR],
        ['5-minute buckets across the rollup edge', R0 + 3 * MIN, R0 + 140 * MIN, 5 * MIN],
        ['1-minute buckets', R0 + 50 * MIN, R0 + 135 * MIN, MIN],
        ['30-second buckets (raw only)', R0 + 10 * MIN, R0 + 20 * MIN, 30_000],
      ];
      const aggs: Aggregate[] = ['mean', 'min', 'max', 'last'];
      it.each(windows)(
        'history, %s, answers what raw data answers',
        async (_, from, to, bucketMs) => {
          for (const agg of aggs)
            for (const field of ['activePower', 'illuminance', 'switchOnCounter'] as const) {
              const q = { field, agg, from, to, bucketMs };
              const got = await store.history(q);
              const want = await composedHistory(rawOnly(store), parseQuery.history(q));
              expect(got.map((s) => s.lampId)).toEqual(want.map((s) => s.lampId));
              expect(want.length).toBeGreaterThan(0);
              for (const [i, s] of want.entries()) {
                const g = got[i]!;
                expect(g.points.map((p) => p.t)).toEqual(s.points.map((p) => p.t));
                for (const [j, p] of s.points.entries())
                  expect(g.points[j]!.value as number, `${field} ${agg} ${p.t}`).toBeCloseTo(
                    p.value as number,
                    9,
                  );
              }
            }
        },
      );

      it('answers long windows from the hourly rollups and short buckets from raw data', async () => {
        const hourly: string[] = [];
        await composedHistory(
          counting(store, hourly),
          parseQuery.history({
            field: 'activePower',
            agg: 'mean',
            from: R0,
            to: R0 + 2 * HOUR,
            bucketMs: HOUR,
          }),
        );
        expect(hourly).toEqual(['1h']);
        const mixed: string[] = [];
        await composedHistory(
          counting(store, mixed),
          parseQuery.history({
            field: 'activePower',
            agg: 'max',
            from: R0 + 30_000,
            to: R0 + 150 * MIN,
            bucketMs: 2 * HOUR,
          }),
        );
        expect(mixed).toEqual(['raw', '1m', '1h', '1m', 'raw']);
        const fine: string[] = [];
        await composedHistory(
          counting(store, fine),
          parseQuery.history({
            field: 'activePower',
            agg: 'max',
            from: R0,
            to: R0 + HOUR,
            bucketMs: 10_000,
          }),
        );
        expect(fine).toEqual(['raw']);
        // A rollup row changed behind the store's back shows in the answer: rollups are read.
        const rows = await store.partials({
          source: '1h',
          from: R0,
          to: R0 + HOUR,
          bucketMs: HOUR,
          lampIds: ['DOLL-0101'],
          fields: [...TELEMETRY_FIELDS],
          stats: [...ROLLUP_STATS],
          count: true,
        });
        await store.writeRollups(
          '1h',
          rows.map((r) => ({ ...r, [statColumn('activePower', 'max')]: 999 }) as PartialRow),
        );
        const tampered = await store.history({
          field: 'activePower',
          agg: 'max',
          from: R0,
          to: R0 + HOUR,
          bucketMs: HOUR,
          lampIds: ['DOLL-0101'],
        });
        expect(tampered[0]?.points).toEqual([{ t: R0, value: 999 }]);
      });

      it('computes energy from hourly rollups and their edges exactly as from raw data', async () => {
        for (const [from, to] of [
          [R0, R0 + 3 * HOUR],
          [R0 + 17 * MIN + 40_000, R0 + 2 * HOUR + 9 * MIN + 20_000],
          [R0 + 61 * MIN, R0 + 62 * MIN],
        ] as const)
          for (const groupBy of ['lamp', 'segment', 'vendor'] as const) {
            const got = await store.energy({ from, to, groupBy });
            const want = await composedEnergy(
              rawOnly(store),
              parseQuery.energy({ from, to, groupBy }),
            );
            expect(got.map((r) => r.key)).toEqual(want.map((r) => r.key));
            for (const [i, r] of want.entries()) expect(got[i]!.kWh).toBeCloseTo(r.kWh, 9);
          }
        const sources: string[] = [];
        await composedEnergy(
          counting(store, sources),
          parseQuery.energy({ from: R0 + 30_000, to: R0 + 149 * MIN, groupBy: 'vendor' }),
        );
        expect(sources).toEqual(['raw', '1m', '1h', '1m', 'raw']);
      });
    });

    it('keeps the newest reading of each lamp in last_state', async () => {
      expect(await store.lastState({})).toEqual([]);
      const a = rollupReading(0, 10);
      const b = rollupReading(1, 12);
      await store.writeLastState([a, b]);
      await store.writeLastState([rollupReading(0, 11)]);
      // The lamp moved to another segment: its newest row wins.
      const moved = { ...rollupReading(1, 13), segmentId: 'seg-02' };
      await store.writeLastState([moved]);
      expect(await store.lastState({})).toEqual([rollupReading(0, 11), moved]);
      expect(await store.lastState({ vendorId: 'lumo' })).toEqual([moved]);
    });

    it('replays every lamp at each step, with its state', async () => {
      const readings = allReadings();
      await store.writeTelemetry(readings);
      const status = (lamp: number, ts: number, state: 'online' | 'offline'): StoredStatus => ({
        ...LAMPS[lamp]!,
        ts,
        state,
      });
      await store.writeStatus([
        status(0, R0 - HOUR, 'online'),
        status(1, R0 - 1, 'online'),
        status(1, R0 + 5 * MIN + 1, 'offline'),
      ]);
      await rollUp(store, R0, R0 + 2 * HOUR);
      await store.writeRollupState({
        '1m': { since: R0, completeUntil: R0 + 2 * HOUR },
        '1h': { since: R0, completeUntil: R0 + 2 * HOUR },
      });
      for (const stepMs of [MIN, 40_000]) {
        const from = R0 + 2 * MIN;
        const to = R0 + 10 * MIN;
        const frames = [];
        for await (const chunk of store.replay({ from, to, stepMs })) frames.push(...chunk);
        expect(frames.map((f) => f.t)).toEqual(
          Array.from({ length: (to - from) / stepMs }, (_, k) => from + k * stepMs),
        );
        for (const f of frames)
          for (const [l, lamp] of LAMPS.entries()) {
            const inStep = readings.filter(
              (r) => r.lampId === lamp.lampId && r.ts >= f.t && r.ts < f.t + stepMs,
            );
            expect(f.level[lamp.lampId]).toBe(inStep.at(-1)?.actualLevel);
            expect(f.power[lamp.lampId], `lamp ${l} at ${f.t}`).toBe(inStep.at(-1)?.activePower);
          }
        expect(frames[0]?.state).toEqual({ 'DOLL-0101': 'online', 'DOLL-0102': 'online' });
        const off = frames.find((f) => f.state['DOLL-0102'] === 'offline');
        expect(off?.t).toBe(Math.floor((R0 + 5 * MIN + 1) / stepMs) * stepMs);
      }
      // A vendor's replay names only its lamps.
      const lumo = [];
      for await (const chunk of store.replay({
        from: R0,
        to: R0 + 5 * MIN,
        stepMs: MIN,
        vendorId: 'lumo',
      }))
        lumo.push(...chunk);
      expect(new Set(lumo.flatMap((f) => Object.keys(f.level)))).toEqual(new Set(['DOLL-0102']));
    });

    it('deletes raw readings and rollups older than a cutoff (retention)', async () => {
      await store.writeTelemetry(allReadings());
      await rollUp(store, R0, R0 + 3 * HOUR);
      const cutoff = R0 + HOUR;
      await store.deleteBefore('raw', cutoff);
      await store.deleteBefore('1m', cutoff + 30 * MIN);
      const count = async (source: 'raw' | '1m' | '1h', from: number, to: number) =>
        (
          await store.partials({
            source,
            from,
            to,
            fields: ['activePower'],
            stats: ['n'],
            count: true,
          })
        ).reduce((n, r) => n + Number(r.count), 0);
      expect(await count('raw', R0, cutoff)).toBe(0);
      expect(await count('raw', cutoff, R0 + 3 * HOUR)).toBe(3 * 270);
      expect(await count('1m', R0, cutoff + 30 * MIN)).toBe(0);
      expect(await count('1m', cutoff + 30 * MIN, R0 + 3 * HOUR)).toBe(3 * 180);
      // Hourly rollups are kept: the first hour's readings are still counted there.
      expect(await count('1h', R0, cutoff)).toBe(3 * 180);
    });
  });
}

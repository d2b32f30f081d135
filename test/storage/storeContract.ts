/**
 * The one contract suite every Store adapter passes (like aedes-persistence's abstract tests).
 * `open` returns a fresh, empty store; `cleanup` runs after each test.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alarm } from '../../shared/contract/alarms.ts';
import type { Store, StoredAck, StoredEvent, StoredTelemetry } from '../../shared/storage/port.ts';
import { StoreQueryError } from '../../shared/storage/port.ts';

/** Aligned to a whole hour so buckets are easy to reason about. */
export const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);
const MIN = 60_000;

const LAMPS = [
  { lampId: 'DOLL-0001', segmentId: 'seg-01', vendorId: 'nordlys', modelId: 'nordlys-arc-75' },
  { lampId: 'DOLL-0002', segmentId: 'seg-01', vendorId: 'lumo', modelId: 'lumo-x' },
  { lampId: 'DOLL-0003', segmentId: 'seg-02', vendorId: 'nordlys', modelId: 'nordlys-arc-75' },
] as const;

export function reading(
  lamp: number,
  i: number,
  over: Partial<StoredTelemetry> = {},
): StoredTelemetry {
  const tags = LAMPS[lamp]!;
  return {
    ...tags,
    seq: i,
    ts: T0 + i * MIN,
    targetLevel: 50,
    actualLevel: 50,
    activePower: 10 * (lamp + 1) + i,
    activeEnergy: 100 + lamp * 10 + i * 0.5,
    supplyVoltage: 230,
    supplyCurrent: 0.2,
    powerFactor: 0.9,
    operatingHours: 1000 + i,
    switchOnCounter: 7,
    gearTemperature: 35.5,
    ...over,
  };
}

function event(
  lamp: number,
  minute: number,
  type: StoredEvent['type'],
  active: boolean,
): StoredEvent {
  return {
    ...LAMPS[lamp]!,
    ts: T0 + minute * MIN,
    type,
    active,
    value: 1.5,
    detail: 'says "hi", \\o/',
  };
}

export interface StoreUnderTest {
  /** A fresh, empty store. */
  open: () => Promise<Store>;
  /** Runs after each test. */
  cleanup?: () => Promise<void>;
  /** The adapter has the optional encoded fast path (`encode` and `writeEncoded`). */
  encodedWrites: boolean;
}

export function storeContract(name: string, { open, cleanup, encodedWrites }: StoreUnderTest) {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    const tenReadings = () =>
      LAMPS.flatMap((_, l) => Array.from({ length: 10 }, (_, i) => reading(l, i)));

    it('returns the newest reading of each lamp with its tags and optional fields', async () => {
      await store.writeTelemetry([
        ...tenReadings(),
        reading(1, 10, { illuminance: 12.5, presenceCount: 3 }),
      ]);
      const latest = await store.latest({});
      expect(latest.map((r) => r.lampId).sort()).toEqual(['DOLL-0001', 'DOLL-0002', 'DOLL-0003']);
      const two = latest.find((r) => r.lampId === 'DOLL-0002');
      expect(two).toEqual(reading(1, 10, { illuminance: 12.5, presenceCount: 3 }));
      const seg = await store.latest({ segmentId: 'seg-02' });
      expect(seg).toEqual([reading(2, 9)]);
      const byVendor = await store.latest({
        vendorId: 'nordlys',
        lampIds: ['DOLL-0001', 'DOLL-0002'],
      });
      expect(byVendor.map((r) => r.lampId)).toEqual(['DOLL-0001']);
    });

    // Said per adapter, so that the fast path is tested wherever it exists and its absence is an
    // assertion too (an adapter that gains it fails here until its suite says so).
    if (!encodedWrites)
      it('has no encoded fast path: writers use the record writes', () => {
        expect(store.encode).toBeUndefined();
        expect(store.writeEncoded).toBeUndefined();
      });
    else
      it('writes encoded records (the optional fast path) as the record writes would', async () => {
        if (!store.encode || !store.writeEncoded) throw new Error('no encode/writeEncoded');
        const parts = LAMPS.map((_, l) =>
          store.encode?.(
            'telemetry',
            Array.from({ length: 10 }, (_, i) => reading(l, i)),
          ),
        ).filter((p) => p !== undefined);
        expect(parts.map((p) => p.count)).toEqual([10, 10, 10]);
        await store.writeEncoded('telemetry', parts);
        // Replayed encoded parts store once; a status of the same lamp keeps its own measurement.
        await store.writeEncoded('telemetry', parts.slice(0, 1));
        await store.writeEncoded('status', [
          store.encode('status', [{ ...LAMPS[0], ts: T0, state: 'online' }]),
        ]);
        const latest = await store.latest({});
        expect(latest.sort((a, b) => a.lampId.localeCompare(b.lampId))).toEqual([
          reading(0, 9),
          reading(1, 9),
          reading(2, 9),
        ]);
        const hist = await store.history({
          field: 'activePower',
          agg: 'max',
          from: T0,
          to: T0 + 10 * MIN,
          bucketMs: 10 * MIN,
          lampIds: ['DOLL-0001'],
        });
        expect(hist).toEqual([{ lampId: 'DOLL-0001', points: [{ t: T0, value: 19 }] }]);
      });

    it('stores a replayed point once and lets a rewrite replace it', async () => {
      const batch = tenReadings();
      await store.writeTelemetry(batch);
      await store.writeTelemetry(batch);
      await store.writeTelemetry([reading(0, 3, { activePower: 999 })]);
      const hist = await store.history({
        field: 'activePower',
        agg: 'max',
        from: T0,
        to: T0 + 10 * MIN,
        bucketMs: 10 * MIN,
        lampIds: ['DOLL-0001'],
      });
      expect(hist).toEqual([{ lampId: 'DOLL-0001', points: [{ t: T0, value: 999 }] }]);
      const latest = await store.latest({ lampIds: ['DOLL-0001'] });
      expect(latest).toEqual([reading(0, 9)]);
    });

    it('aggregates history per lamp into epoch-aligned buckets', async () => {
      await store.writeTelemetry(tenReadings());
      const q = {
        field: 'activePower' as const,
        from: T0,
        to: T0 + 10 * MIN,
        bucketMs: 5 * MIN,
        lampIds: ['DOLL-0001'],
      };
      // lamp 0: activePower = 10 + i, i = 0..9
      const at = async (agg: 'mean' | 'min' | 'max' | 'last') =>
        (await store.history({ ...q, agg }))[0]?.points;
      expect(await at('mean')).toEqual([
        { t: T0, value: 12 },
        { t: T0 + 5 * MIN, value: 17 },
      ]);
      expect(await at('min')).toEqual([
        { t: T0, value: 10 },
        { t: T0 + 5 * MIN, value: 15 },
      ]);
      expect(await at('max')).toEqual([
        { t: T0, value: 14 },
        { t: T0 + 5 * MIN, value: 19 },
      ]);
      expect(await at('last')).toEqual([
        { t: T0, value: 14 },
        { t: T0 + 5 * MIN, value: 19 },
      ]);
      const all = await store.history({
        ...q,
        lampIds: undefined,
        agg: 'mean',
        from: T0 + 5 * MIN,
      });
      expect(all.map((s) => s.lampId)).toEqual(['DOLL-0001', 'DOLL-0002', 'DOLL-0003']);
    });

    it('computes energy per lamp, segment and vendor from the cumulative counter', async () => {
      await store.writeTelemetry(tenReadings());
      const window = { from: T0, to: T0 + 10 * MIN };
      // each lamp: 9 steps of 0.5 kWh = 4.5 kWh in the window
      expect(await store.energy({ ...window, groupBy: 'lamp' })).toEqual([
        { key: 'DOLL-0001', kWh: 4.5 },
        { key: 'DOLL-0002', kWh: 4.5 },
        { key: 'DOLL-0003', kWh: 4.5 },
      ]);
      expect(await store.energy({ ...window, groupBy: 'segment' })).toEqual([
        { key: 'seg-01', kWh: 9 },
        { key: 'seg-02', kWh: 4.5 },
      ]);
      expect(await store.energy({ ...window, groupBy: 'vendor', vendorId: 'nordlys' })).toEqual([
        { key: 'nordlys', kWh: 9 },
      ]);
      const half = await store.energy({
        from: T0 + 5 * MIN,
        to: T0 + 10 * MIN,
        groupBy: 'lamp',
        lampIds: ['DOLL-0003'],
      });
      expect(half).toEqual([{ key: 'DOLL-0003', kWh: 2 }]);
    });

    it('returns events in a window, oldest first, filtered and limited', async () => {
      await store.writeEvents([
        event(0, 1, 'lampFailure', true),
        event(1, 2, 'dayBurning', true),
        event(0, 3, 'lampFailure', false),
        event(2, 4, 'supplyLoss', true),
      ]);
      const all = await store.events({ from: T0, to: T0 + 10 * MIN });
      expect(all.map((e) => [e.lampId, e.type, e.active])).toEqual([
        ['DOLL-0001', 'lampFailure', true],
        ['DOLL-0002', 'dayBurning', true],
        ['DOLL-0001', 'lampFailure', false],
        ['DOLL-0003', 'supplyLoss', true],
      ]);
      expect(all[0]).toEqual(event(0, 1, 'lampFailure', true));
      const nordlys = await store.events({
        from: T0,
        to: T0 + 10 * MIN,
        vendorId: 'nordlys',
        limit: 2,
      });
      expect(nordlys.map((e) => e.ts)).toEqual([T0 + MIN, T0 + 3 * MIN]);
      expect(await store.events({ from: T0 + 4 * MIN, to: T0 + 5 * MIN })).toHaveLength(1);
    });

    it('returns command acks in a window, oldest first, filtered, with their optional fields', async () => {
      const ack = (lamp: number, i: number, over: Partial<StoredAck> = {}): StoredAck => ({
        ...LAMPS[lamp]!,
        commandId: `cmd-${i}`,
        ts: T0 + i * MIN,
        status: 'accepted',
        ...over,
      });
      await store.writeAcks([
        ack(0, 1, { actualLevel: 40 }),
        ack(1, 2, { status: 'rejected', reason: 'level out of range' }),
        ack(2, 3),
        ack(0, 4, { status: 'applied', actualLevel: 40 }),
      ]);
      const all = await store.acks({ from: T0, to: T0 + 10 * MIN });
      expect(all).toEqual([
        ack(0, 1, { actualLevel: 40 }),
        ack(1, 2, { status: 'rejected', reason: 'level out of range' }),
        ack(2, 3),
        ack(0, 4, { status: 'applied', actualLevel: 40 }),
      ]);
      const nordlys = await store.acks({
        from: T0,
        to: T0 + 10 * MIN,
        vendorId: 'nordlys',
        limit: 2,
      });
      expect(nordlys.map((a) => [a.lampId, a.commandId])).toEqual([
        ['DOLL-0001', 'cmd-1'],
        ['DOLL-0003', 'cmd-3'],
      ]);
      expect(await store.acks({ from: T0 + 2 * MIN, to: T0 + 3 * MIN })).toHaveLength(1);
      await expect(store.acks({ from: T0 + MIN, to: T0 })).rejects.toBeInstanceOf(StoreQueryError);
    });

    it('stores alarms of lamps and of segments and reads them back', async () => {
      const alarms: Alarm[] = [
        {
          alarmId: 'commsLost:DOLL-0001',
          type: 'commsLost',
          state: 'raised',
          severity: 'major',
          lampId: 'DOLL-0001',
          segmentId: 'seg-01',
          ts: T0 + MIN,
          detail: 'silent',
        },
        {
          alarmId: 'segmentSupplyLoss:seg-02',
          type: 'segmentSupplyLoss',
          state: 'raised',
          severity: 'critical',
          segmentId: 'seg-02',
          ts: T0 + 2 * MIN,
          detail: '24 of 24 lamps',
        },
        {
          alarmId: 'commsLost:DOLL-0001',
          type: 'commsLost',
          state: 'cleared',
          severity: 'major',
          lampId: 'DOLL-0001',
          segmentId: 'seg-01',
          ts: T0 + 3 * MIN,
          detail: 'back',
        },
      ];
      await store.writeAlarms(alarms);
      await store.writeAlarms(alarms);
      expect(await store.alarms({ from: T0, to: T0 + 10 * MIN })).toEqual(alarms);
      expect(await store.alarms({ from: T0, to: T0 + 10 * MIN, segmentId: 'seg-02' })).toEqual([
        alarms[1],
      ]);
      expect(
        await store.alarms({ from: T0, to: T0 + 10 * MIN, lampIds: ['DOLL-0001'], limit: 1 }),
      ).toEqual([alarms[0]]);
    });

    it('stores status and reads it back as the state at the start and the changes within', async () => {
      await store.writeStatus([
        { ...LAMPS[0], state: 'online', ts: T0 - MIN },
        { ...LAMPS[0], state: 'offline', ts: T0 + MIN, reason: 'power "cut"' },
        { ...LAMPS[1], state: 'online', ts: T0 + 2 * MIN },
      ]);
      const window = { from: T0, to: T0 + 10 * MIN };
      expect(await store.statusChanges({ ...window, lampIds: ['DOLL-0001'] })).toEqual({
        initial: [{ lampId: 'DOLL-0001', state: 'online', ts: T0 - MIN }],
        changes: [{ lampId: 'DOLL-0001', state: 'offline', ts: T0 + MIN }],
      });
      expect(await store.statusChanges({ ...window, segmentId: 'seg-01' })).toEqual({
        initial: [{ lampId: 'DOLL-0001', state: 'online', ts: T0 - MIN }],
        changes: [
          { lampId: 'DOLL-0001', state: 'offline', ts: T0 + MIN },
          { lampId: 'DOLL-0002', state: 'online', ts: T0 + 2 * MIN },
        ],
      });
    });

    it('takes acks, with quotes in the reason', async () => {
      // The port has no read of acks (the gateway tracks commands itself): the write must succeed.
      await expect(
        store.writeAcks([
          { ...LAMPS[0], commandId: 'cmd-1', status: 'accepted', ts: T0, actualLevel: 40 },
          { ...LAMPS[1], commandId: 'cmd-1', status: 'rejected', ts: T0, reason: 'no "mains"' },
        ]),
      ).resolves.toBeUndefined();
      expect((await store.health()).ok).toBe(true);
    });

    describe('refuses injection through every read parameter', () => {
      const window = { from: T0, to: T0 + 10 * MIN };
      const hostile = [
        `DOLL-0001' OR "lampId" =~ /.*/ --`,
        `x"; DROP MEASUREMENT telemetry; --`,
        `a' ; DROP DATABASE x`,
        `DOLL-0001') OR 1=1 --`,
        'DOLL-0001\nDROP',
        '',
      ];
      const cases: [string, (s: Store, v: string) => Promise<unknown>][] = [
        ['latest lampIds', (s, v) => s.latest({ lampIds: [v] })],
        ['latest segmentId', (s, v) => s.latest({ segmentId: v })],
        ['latest vendorId', (s, v) => s.latest({ vendorId: v })],
        ['latest modelId', (s, v) => s.latest({ modelId: v })],
        [
          'history field',
          (s, v) => s.history({ ...window, field: v as never, agg: 'mean', bucketMs: MIN }),
        ],
        [
          'history agg',
          (s, v) => s.history({ ...window, field: 'activePower', agg: v as never, bucketMs: MIN }),
        ],
        [
          'history lampIds',
          (s, v) =>
            s.history({
              ...window,
              field: 'activePower',
              agg: 'mean',
              bucketMs: MIN,
              lampIds: [v],
            }),
        ],
        [
          'history segmentId',
          (s, v) =>
            s.history({
              ...window,
              field: 'activePower',
              agg: 'mean',
              bucketMs: MIN,
              segmentId: v,
            }),
        ],
        [
          'history bucketMs',
          (s, v) =>
            s.history({ ...window, field: 'activePower', agg: 'mean', bucketMs: v as never }),
        ],
        [
          'history from',
          (s, v) =>
            s.history({
              ...window,
              from: v as never,
              field: 'activePower',
              agg: 'mean',
              bucketMs: MIN,
            }),
        ],
        ['energy to', (s, v) => s.energy({ ...window, to: v as never, groupBy: 'lamp' })],
        ['energy groupBy', (s, v) => s.energy({ ...window, groupBy: v as never })],
        ['energy vendorId', (s, v) => s.energy({ ...window, groupBy: 'vendor', vendorId: v })],
        ['events limit', (s, v) => s.events({ ...window, limit: v as never })],
        ['events modelId', (s, v) => s.events({ ...window, modelId: v })],
        ['alarms segmentId', (s, v) => s.alarms({ ...window, segmentId: v })],
        ['alarms lampIds', (s, v) => s.alarms({ ...window, lampIds: [v] })],
        ['unknown key', (s, v) => s.latest({ [v || 'x']: 'y' } as never)],
      ];
      it.each(cases)('%s', async (_, call) => {
        await store.writeTelemetry(tenReadings());
        for (const v of hostile) {
          await expect(call(store, v)).rejects.toBeInstanceOf(StoreQueryError);
        }
        // Nothing was dropped or changed by any attempt.
        expect((await store.latest({})).length).toBe(3);
      });

      it('rejects non-finite and out-of-range numbers and reversed windows', async () => {
        const bad = [
          () =>
            store.history({ ...window, field: 'activePower', agg: 'mean', bucketMs: Number.NaN }),
          () => store.history({ ...window, field: 'activePower', agg: 'mean', bucketMs: 1 }),
          () =>
            store.history({
              from: T0,
              to: T0 + 365 * 24 * 60 * MIN,
              field: 'activePower',
              agg: 'mean',
              bucketMs: 1000,
            }),
          () => store.events({ from: T0 + MIN, to: T0 }),
          () => store.events({ ...window, limit: 10_000_000 }),
          () => store.events({ ...window, from: Number.POSITIVE_INFINITY }),
          () => store.latest({ lampIds: [] }),
        ];
        for (const call of bad) await expect(call()).rejects.toBeInstanceOf(StoreQueryError);
      });
    });
  });
}

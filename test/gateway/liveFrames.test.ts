/**
 * The compact live frames end to end without a socket: the gateway's encoder, then the
 * dashboard's own checker and decoder writing into its LiveTable. Also: a malformed frame is
 * refused whole with the failing path, and a frame stays small per lamp.
 */
import { describe, expect, test } from 'vitest';
import {
  applyBinaryFrame,
  applyColumns,
  checkColumns,
  FrameError,
  identityRows,
  LIVE_FIELD_NAMES,
  rowsOf,
} from '../../dashboards/src/live/decode.ts';
import { LiveTable, STATUS } from '../../dashboards/src/live/LiveTable.ts';
import {
  LIVE_FIELDS,
  LIVE_STATUS,
  type LiveColumns,
  type LiveLamp,
} from '../../services/gateway/api.ts';
import {
  binaryDeltaFrame,
  binarySnapshotFrame,
  deltaFrame,
  LiveIndex,
  snapshotFrame,
} from '../../services/gateway/ws/liveFrames.ts';
import {
  allocLiveFrame,
  DELTA_BYTES_PER_LAMP,
  decodeLiveFrame,
  registryHash,
  SNAPSHOT_BYTES_PER_LAMP,
} from '../../shared/live/binaryFrames.ts';
import { reading } from './harness.ts';

const T0 = 1_800_000_000_000;
const lamp = (id: string, partial: Partial<LiveLamp> = {}): LiveLamp => ({
  lampId: id,
  segmentId: 'seg-01',
  vendorId: 'v',
  modelId: 'm',
  status: 'online',
  statusTs: T0 - 5_000,
  telemetry: reading(id, { ts: T0 - 800, actualLevel: 42.25, activePower: 17.123456 }),
  ...partial,
});

function tableOf(ids: string[]): LiveTable {
  const t = new LiveTable();
  t.setRegistry(
    ids.map((id, k) => ({
      id,
      lon: 12.36 + k * 1e-4,
      lat: 55.68,
      distanceM: k * 30,
      segmentId: 'seg-01',
      controllerId: 'ctl-01',
      modelId: 'm',
      poleHeightM: 8,
      vendorId: 'v',
    })),
    true,
  );
  return t;
}

describe('the dashboard decodes what the gateway encodes', () => {
  test('the two sides agree on the field list and the status codes', () => {
    expect(LIVE_FIELD_NAMES).toEqual([...LIVE_FIELDS]);
    expect([...STATUS]).toEqual([...LIVE_STATUS]);
  });

  test('a snapshot then a delta land in the table, rounded, with missing values as NaN', () => {
    const lamps = [
      lamp('A'),
      lamp('B', { status: 'unknown', statusTs: null, telemetry: null }),
      lamp('C', { status: 'offline' }),
    ];
    const { frame, index } = snapshotFrame(lamps, T0);
    expect(frame.lampIds).toEqual(['A', 'B', 'C']);
    // the table's order differs from the snapshot's: rows are found by id
    const table = tableOf(['C', 'A', 'B', 'Z']);
    const rows = rowsOf(table, frame.lampIds);
    const wire = JSON.parse(JSON.stringify(frame));
    checkColumns(wire.live, rows.length);
    expect(applyColumns(table, rows, wire.live, wire.t0)).toBe(3);
    const a = table.row(table.indexOf.get('A')!);
    expect(a).toMatchObject({ status: 'online', ts: T0 - 800 });
    // rounded to the quantity's precision on the wire: 0.1 % and 0.01 W
    expect(wire.live.actualLevel[0]).toBe(42.3);
    expect(wire.live.activePower[0]).toBe(17.12);
    expect(a.level).toBeCloseTo(42.3, 5);
    expect(a.power).toBeCloseTo(17.12, 5);
    expect(table.statusTs[table.indexOf.get('A')!]).toBe(T0 - 5_000);
    expect(a.lux).toBeNaN(); // no light sensor
    const b = table.row(table.indexOf.get('B')!);
    expect(b.status).toBe('unknown');
    expect(b.level).toBeNaN();
    expect(table.row(table.indexOf.get('C')!).status).toBe('offline');

    const delta = JSON.parse(
      JSON.stringify(
        deltaFrame(
          [
            lamp('B', {
              telemetry: reading('B', { ts: T0 + 1_000, actualLevel: 10, illuminance: 3.04 }),
            }),
          ],
          index,
          T0 + 1_200,
        ),
      ),
    );
    checkColumns(delta.live, rows.length);
    applyColumns(table, rows, delta.live, delta.t0);
    expect(table.row(table.indexOf.get('B')!)).toMatchObject({
      status: 'online',
      level: 10,
      ts: T0 + 1_000,
    });
    expect(table.lux[table.indexOf.get('B')!]).toBeCloseTo(3, 5);
  });

  test('lamps outside the subscription are not encoded', () => {
    const index = new LiveIndex(['A']);
    const frame = deltaFrame([lamp('A'), lamp('B')], index, T0);
    expect(frame.live.i).toEqual([0]);
  });

  test('a malformed frame is refused whole, naming the failing path', () => {
    const { frame } = snapshotFrame([lamp('A'), lamp('B')], T0);
    const bad = (mutate: (live: LiveColumns) => void) => {
      const live = JSON.parse(JSON.stringify(frame.live));
      mutate(live);
      return () => checkColumns(live, 2);
    };
    expect(bad((l) => (l.i[1] = 7))).toThrow(/live\.i\[1\]/);
    expect(bad((l) => l.activePower.pop())).toThrow(/live\.activePower: 1 entries, i has 2/);
    expect(bad((l) => (l.supplyVoltage[0] = 'x' as never))).toThrow(/live\.supplyVoltage\[0\]/);
    expect(bad((l) => (l.status[0] = 9))).toThrow(/live\.status\[0\]/);
    expect(bad((l) => Reflect.deleteProperty(l, 'ts'))).toThrow(FrameError);
    expect(() => rowsOf(new LiveTable(), [3])).toThrow(/lampIds\[0\]/);
  });

  test('a frame costs well under 100 bytes a lamp (a JSON object per lamp cost over 400)', () => {
    const lamps = Array.from({ length: 1000 }, (_, k) =>
      lamp(`DOLL-${String(k).padStart(6, '0')}`, {
        telemetry: reading(`DOLL-${k}`, {
          ts: T0 - k,
          actualLevel: 37.123456,
          activePower: 12.345678,
          supplyVoltage: 229.87654,
          supplyCurrent: 0.0567891,
          activeEnergy: 1234.567891,
          seq: 100_000 + k,
        }),
      }),
    );
    const { frame, index } = snapshotFrame(lamps, T0);
    const delta = JSON.stringify(deltaFrame(lamps, index, T0));
    const perObject = JSON.stringify({ type: 'delta', lamps }).length / lamps.length;
    expect(delta.length / lamps.length).toBeLessThan(100);
    expect(perObject).toBeGreaterThan(400);
    expect(JSON.stringify(frame).length / lamps.length).toBeLessThan(120);
  });
});

describe('binary live frames (GLF1): what the web app asks for', () => {
  const ids = ['A', 'B', 'C', 'Z'];
  const lampsOf = () => [
    lamp('A'),
    lamp('B', { status: 'unknown', statusTs: null, telemetry: null }),
    lamp('C', { status: 'offline' }),
  ];
  const arrayBufferOf = (b: Uint8Array) =>
    b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

  test('a snapshot in registry order, then a delta, land in the table with no ids on the wire', () => {
    const index = new LiveIndex(ids);
    // Z has no live state: its entry is "unknown, no reading"
    const snap = decodeLiveFrame(
      arrayBufferOf(binarySnapshotFrame(lampsOf(), index, T0, { withIds: false })),
    );
    expect(snap.head).toMatchObject({
      type: 'snapshot',
      registry: registryHash(ids),
      positions: 4,
    });
    expect(snap.head.lampIds).toBeUndefined();
    const table = tableOf(ids);
    expect(registryHash(table.ids)).toBe(snap.head.registry);
    const rows = identityRows(4);
    expect(applyBinaryFrame(table, rows, snap)).toBe(4);
    const a = table.row(table.indexOf.get('A')!);
    expect(a).toMatchObject({ status: 'online', ts: T0 - 800 });
    expect(a.level).toBeCloseTo(42.25, 5);
    expect(a.power).toBeCloseTo(17.123456, 4);
    expect(table.statusTs[0]).toBe(T0 - 5_000);
    expect(table.energy[0]).toBe(lamp('A').telemetry!.activeEnergy); // Float64: exact
    expect(a.lux).toBeNaN();
    expect(table.row(1)).toMatchObject({ status: 'unknown' });
    expect(table.row(1).level).toBeNaN();
    expect(table.statusTs[1]).toBeNaN();
    expect(table.row(2).status).toBe('offline');
    expect(table.row(3).status).toBe('unknown');

    const delta = decodeLiveFrame(
      arrayBufferOf(
        binaryDeltaFrame(
          [
            lamp('Q'), // not in the index: left out
            lamp('B', { telemetry: reading('B', { ts: T0 + 1_000, actualLevel: 10 }) }),
          ],
          index,
          T0 + 1_200,
        ),
      ),
    );
    expect(delta.n).toBe(1);
    expect([...delta.cols.position!]).toEqual([1]);
    applyBinaryFrame(table, rows, delta);
    expect(table.row(1)).toMatchObject({ status: 'online', level: 10, ts: T0 + 1_000 });
  });

  test('a subscription to some lamps carries their ids; a vendor index holds only its lamps', () => {
    const index = new LiveIndex(['C', 'A']);
    const snap = decodeLiveFrame(
      arrayBufferOf(binarySnapshotFrame(lampsOf(), index, T0, { withIds: true })),
    );
    expect(snap.head.lampIds).toEqual(['C', 'A']);
    expect(snap.n).toBe(2);
    const table = tableOf(ids);
    applyBinaryFrame(table, rowsOf(table, snap.head.lampIds!), snap);
    expect(table.row(table.indexOf.get('C')!).status).toBe('offline');
    expect(table.row(table.indexOf.get('B')!).status).toBe('unknown');
  });

  test('a malformed frame is refused whole, naming the failing part', () => {
    const good = binaryDeltaFrame(lampsOf(), new LiveIndex(ids), T0);
    const refused = (mutate: (b: Uint8Array, v: DataView) => Uint8Array | undefined) => {
      const b = good.slice();
      const out = mutate(b, new DataView(b.buffer)) ?? b;
      return () => decodeLiveFrame(arrayBufferOf(out));
    };
    expect(refused(() => new Uint8Array(8))).toThrow(/head: shorter/);
    expect(
      refused((_b, v) => {
        v.setUint32(0, 0x12345678, true);
        return undefined;
      }),
    ).toThrow(/not a GLF1 frame/);
    expect(refused((b) => b.subarray(0, b.length - 1))).toThrow(/columns: .* bytes, 3 lamps need/);
    expect(
      refused((_b, v) => {
        v.setUint32(4, 4, true);
        return undefined;
      }),
    ).toThrow(/columns/);
    expect(
      refused((_b, v) => {
        v.setUint32(8, 1 << 30, true);
        return undefined;
      }),
    ).toThrow(/head longer than frame/);
    expect(
      refused((b) => {
        b[16] = 0x7b + 1;
        return undefined;
      }),
    ).toThrow(/head: not JSON/);
    // the last n bytes are the statuses, the n Uint32 before them the positions
    expect(
      refused((b) => {
        b[b.length - 1] = 9;
        return undefined;
      }),
    ).toThrow(/status\[2\]: not a status code/);
    expect(
      refused((b, v) => {
        v.setUint32(b.length - 3 - 4, 4, true);
        return undefined;
      }),
    ).toThrow(/position\[2\]: not a position/);
    const wrongHead = allocLiveFrame(
      { type: 'delta', t0: -1, registry: 'xyz', positions: 1 } as never,
      0,
    ).bytes;
    expect(() => decodeLiveFrame(arrayBufferOf(wrongHead))).toThrow(/head\.t0/);
  });

  test('49 bytes a lamp in a snapshot, 53 in a delta: smaller than JSON, and no number to parse', () => {
    const many = Array.from({ length: 10_000 }, (_, k) =>
      lamp(`DOLL-${String(k).padStart(6, '0')}`, {
        telemetry: reading(`DOLL-${k}`, { ts: T0 - k, actualLevel: 37.1, seq: 100_000 + k }),
      }),
    );
    const index = new LiveIndex(many.map((l) => l.lampId));
    const snap = binarySnapshotFrame(many, index, T0, { withIds: false });
    const json = JSON.stringify(snapshotFrame(many, T0).frame).length;
    expect(snap.byteLength / many.length).toBeLessThan(SNAPSHOT_BYTES_PER_LAMP + 0.1);
    expect(binaryDeltaFrame(many, index, T0).byteLength / many.length).toBeLessThan(
      DELTA_BYTES_PER_LAMP + 0.1,
    );
    // the JSON snapshot (ids, rounded numbers as text) was ~68 bytes a lamp here
    expect(snap.byteLength * 1.3).toBeLessThan(json);
  });
});

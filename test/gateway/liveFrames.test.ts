/**
 * The compact live frames end to end without a socket: the gateway's encoder, then the
 * dashboard's own checker and decoder writing into its LiveTable. Also: a malformed frame is
 * refused whole with the failing path, and a frame stays small per lamp.
 */
import { describe, expect, test } from 'vitest';
import {
  applyColumns,
  checkColumns,
  FrameError,
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
import { deltaFrame, LiveIndex, snapshotFrame } from '../../services/gateway/ws/liveFrames.ts';
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

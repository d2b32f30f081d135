import { describe, expect, test } from 'vitest';
import {
  ColumnsError,
  decodeColumnsBinary,
  encodeColumnsBinary,
  type LampColumns,
  lampColumns,
} from '../../shared/registry/columns.ts';

const lamps = [
  { id: 'DOLL-0001', lon: 12.3601234, lat: 55.6801234, segmentId: 's1', modelId: 'm1' },
  { id: 'DOLL-0002', lon: 12.3602, lat: 55.6802, segmentId: 's1', modelId: 'm2' },
  { id: 'DOLL-0003', lon: 12.3603, lat: 55.6803, segmentId: 's2', modelId: 'm1' },
];
const vendors = ['va', 'vb', 'va'];
const cols = () => lampColumns(lamps, (_l, i) => vendors[i]!);

describe('registry columns', () => {
  test('dictionary codes in order of first use; the vendor comes from vendorOf', () => {
    expect(cols()).toEqual({
      ids: ['DOLL-0001', 'DOLL-0002', 'DOLL-0003'],
      lon: [12.3601234, 12.3602, 12.3603],
      lat: [55.6801234, 55.6802, 55.6803],
      segments: ['s1', 's2'],
      vendors: ['va', 'vb'],
      models: ['m1', 'm2'],
      segment: [0, 0, 1],
      vendor: [0, 1, 0],
      model: [0, 1, 0],
    });
  });

  test('binary round trip keeps every value exactly', () => {
    const c = cols();
    const bytes = encodeColumnsBinary(c, true);
    expect(bytes.length % 2).toBe(0);
    const d = decodeColumnsBinary(bytes.slice().buffer);
    expect(d.approximate).toBe(true);
    expect({
      ...d,
      lon: [...d.lon],
      lat: [...d.lat],
      segment: [...d.segment],
      vendor: [...d.vendor],
      model: [...d.model],
    }).toEqual({ approximate: true, ...c });
    const empty = decodeColumnsBinary(
      encodeColumnsBinary(
        lampColumns([], () => ''),
        false,
      ).buffer as ArrayBuffer,
    );
    expect(empty.ids).toEqual([]);
    expect(empty.lon.length).toBe(0);
  });

  const at = (c: LampColumns) => {
    const b = encodeColumnsBinary(c, false);
    const head = new DataView(b.buffer).getUint32(8, true);
    return { b, data: (12 + head + 7) & ~7 };
  };
  const cases: [string, () => ArrayBuffer, string][] = [
    ['too short', () => new Uint8Array(4).buffer, 'head'],
    [
      'wrong magic',
      () => {
        const { b } = at(cols());
        b[0] = 0x58;
        return b.buffer as ArrayBuffer;
      },
      'head',
    ],
    ['truncated', () => at(cols()).b.slice(0, -2).buffer, 'head'],
    [
      'a segment code without its name',
      () => {
        const { b, data } = at(cols());
        new DataView(b.buffer).setUint16(data + 3 * 16 + 2, 7, true);
        return b.buffer as ArrayBuffer;
      },
      'segment[1]',
    ],
    [
      'a position that is not a number',
      () => {
        const { b, data } = at(cols());
        new DataView(b.buffer).setFloat64(data + 8 * 2, Number.NaN, true);
        return b.buffer as ArrayBuffer;
      },
      'lon[2]',
    ],
    [
      'a head that is not JSON',
      () => {
        const { b } = at(cols());
        b[12] = 0x5b;
        return b.buffer as ArrayBuffer;
      },
      'head',
    ],
  ];
  test.each(cases)('refused whole: %s', (_name, bytes, path) => {
    let err: unknown;
    try {
      decodeColumnsBinary(bytes());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ColumnsError);
    expect((err as ColumnsError).path).toBe(path);
  });
});

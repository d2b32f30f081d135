/**
 * The web app's replay decoder: frames filled forward from the stream's nulls and state changes,
 * route power summed over lamps that are not offline, lines split across chunks, and every bad
 * line refused with its path.
 */
import { expect, test } from 'vitest';
import {
  lineSplitter,
  OFFLINE,
  ONLINE,
  ReplayDecoder,
} from '../../dashboards/src/replay/decoder.ts';
import { frameAt } from '../../dashboards/src/replay/replayTable.ts';

const lines = [
  { type: 'replay', from: 0, to: 30_000, stepMs: 10_000, fields: ['level', 'power'] },
  { type: 'lamps', add: ['A', 'B'] },
  { type: 'frame', t: 0, level: [50, null], power: [20, null], state: { '0': 'online' } },
  { type: 'lamps', add: ['C'] },
  {
    type: 'frame',
    t: 10_000,
    level: [null, 30, 100],
    power: [null, 12, 40],
    state: { '2': 'offline' },
  },
  { type: 'frame', t: 20_000, level: [10, null, null], power: [5, null, null], state: {} },
  { type: 'end', frames: 3 },
].map((l) => JSON.stringify(l));

test('frames are complete: a null holds the last value, states carry over, power sums what is on', () => {
  const d = new ReplayDecoder();
  const split = lineSplitter((l) => d.push(l));
  // chunk boundaries in the middle of lines
  const text = `${lines.join('\n')}\n`;
  for (let i = 0; i < text.length; i += 7) split.push(text.slice(i, i + 7));
  split.end();
  const data = d.data;
  expect(data.done).toBe(true);
  expect(data.lampIds).toEqual(['A', 'B', 'C']);
  expect(data.t).toEqual([0, 10_000, 20_000]);
  // C was not named yet at the first frame
  expect([...data.level[0]!]).toEqual([50, Number.NaN]);
  expect([...data.level[1]!]).toEqual([50, 30, 100]);
  expect([...data.level[2]!]).toEqual([10, 30, 100]);
  expect([...data.state[2]!]).toEqual([ONLINE, 0, OFFLINE]);
  // C is offline: its last power does not count
  expect(data.routePower).toEqual([20, 32, 17]);
  expect(frameAt(data.t, 15_000)).toBe(1);
  expect(frameAt(data.t, 99_000)).toBe(2);
  expect(frameAt(data.t, -5)).toBe(0);
});

test.each([
  [
    '{"type":"frame","t":0,"level":[],"power":[],"state":{}}',
    'line 1.type: the stream starts with "replay"',
  ],
  ['not json', 'line 1: not JSON'],
])('a stream that does not start right is refused: %s', (line, message) => {
  expect(() => new ReplayDecoder().push(line)).toThrow(message);
});

test.each([
  ['{"type":"lamps","add":["ok","bad id"]}', 'line 2.add.1: not a lamp id'],
  ['{"type":"frame","t":1.5,"level":[],"power":[],"state":{}}', 'line 2.t: expected an integer'],
  [
    '{"type":"frame","t":0,"level":["x"],"power":[],"state":{}}',
    'line 2.level: more entries (1) than lamps (0)',
  ],
  [
    '{"type":"frame","t":0,"level":[],"power":[],"state":{"3":"online"}}',
    'line 2.state.3: not a lamp index',
  ],
  ['{"type":"surprise"}', 'line 2.type: unknown line type surprise'],
])('a bad line is refused with its path: %s', (line, message) => {
  const d = new ReplayDecoder();
  d.push(lines[0]!);
  expect(() => d.push(line)).toThrow(message);
});

test('a value that is not a number is refused where it is', () => {
  const d = new ReplayDecoder();
  d.push(lines[0]!);
  d.push(lines[1]!);
  expect(() => d.push('{"type":"frame","t":0,"level":[1,"x"],"power":[1,2],"state":{}}')).toThrow(
    'line 3.level.1: expected a number or null',
  );
});

test('route power is unknown, not zero, before any lamp has reported', () => {
  const d = new ReplayDecoder();
  for (const l of [
    lines[0]!,
    lines[1]!,
    '{"type":"frame","t":0,"level":[null,null],"power":[null,null],"state":{}}',
  ])
    d.push(l);
  expect(d.data.routePower).toEqual([Number.NaN]);
});

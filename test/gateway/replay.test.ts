/**
 * GET /api/replay: a window of every lamp's level, power and state, streamed as NDJSON lines
 * that parse with the shared ReplayLine schema; vendors get only their own lamps.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tagsOf } from '../../services/processor/ingest.ts';
import type { StoredStatus, StoredTelemetry } from '../../shared/storage/port.ts';
import { ReplayLine } from '../../shared/storage/replay.ts';
import { type Harness, startHarness, VENDOR_A } from './harness.ts';

let h: Harness;
const T0 = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000;
const STEP = 10_000;

beforeAll(async () => {
  h = await startHarness({ store: 'memory' });
  const { registry } = h.broker;
  const lamps = registry.segments[0]!.lampIds.slice(0, 4);
  const points: StoredTelemetry[] = [];
  const status: StoredStatus[] = [];
  for (const lampId of lamps) {
    const tags = tagsOf(registry, lampId)!;
    status.push({ ...tags, ts: T0 - 1, state: 'online' });
    // one reading every 5 s for 10 minutes; level = minute, power = reading number
    for (let i = 0; i < 120; i++)
      points.push({
        ...tags,
        seq: i,
        ts: T0 + i * 5_000,
        targetLevel: Math.floor(i / 12),
        actualLevel: Math.floor(i / 12),
        activePower: i,
        activeEnergy: 1 + i / 1000,
        supplyVoltage: 230,
        supplyCurrent: 0.1,
        powerFactor: 0.9,
        operatingHours: 10,
        switchOnCounter: 1,
        gearTemperature: 30,
      });
  }
  await h.store!.writeTelemetry(points);
  await h.store!.writeStatus(status);
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const lines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => ReplayLine.parse(JSON.parse(l)));

describe('GET /api/replay', () => {
  test('streams every step of the window as columnar frames', async () => {
    const r = await h.api('GET', `/api/replay?from=${T0}&to=${T0 + 10 * 60_000}&stepMs=${STEP}`, {
      token: h.tokens.viewer,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const out = lines(r.text);
    expect(out[0]).toEqual({
      type: 'replay',
      from: T0,
      to: T0 + 600_000,
      stepMs: STEP,
      fields: ['level', 'power'],
    });
    const lamps = out.flatMap((l) => (l.type === 'lamps' ? l.add : []));
    expect(lamps).toHaveLength(4);
    const frames = out.filter((l) => l.type === 'frame');
    expect(frames).toHaveLength(60);
    expect(out.at(-1)).toEqual({ type: 'end', frames: 60 });
    // Step k holds readings 2k and 2k+1: power is the last of them, level its minute.
    for (const [k, f] of frames.entries()) {
      expect(f.t).toBe(T0 + k * STEP);
      expect(f.power).toEqual(lamps.map(() => 2 * k + 1));
      expect(f.level).toEqual(lamps.map(() => Math.floor((2 * k + 1) / 12)));
    }
    expect(Object.values(frames[0]!.state)).toEqual(['online', 'online', 'online', 'online']);
    expect(frames[1]!.state).toEqual({});
  });

  test('a vendor gets only its own lamps', async () => {
    const r = await h.api('GET', `/api/replay?from=${T0}&to=${T0 + 60_000}&stepMs=${STEP}`, {
      token: h.tokens.vendor,
    });
    expect(r.status, r.text).toBe(200);
    const ids = lines(r.text).flatMap((l) => (l.type === 'lamps' ? l.add : []));
    const all = h.broker.registry.segments[0]!.lampIds.slice(0, 4);
    const own = all.filter((id) => h.broker.registry.vendorOf(id)?.id === VENDOR_A);
    expect(own.length).toBeLessThan(all.length);
    expect(ids.sort()).toEqual([...own].sort());
    // and another vendor's lamp by name is refused
    const other = all.find((id) => !own.includes(id))!;
    const refused = await h.api(
      'GET',
      `/api/replay?lampIds=${other}&from=${T0}&to=${T0 + 60_000}`,
      {
        token: h.tokens.vendor,
      },
    );
    expect(refused.status).toBe(403);
  });

  test('refuses a window with too many steps before streaming anything', async () => {
    const r = await h.api('GET', `/api/replay?from=${T0 - 400 * 3_600_000}&to=${T0}&stepMs=1000`, {
      token: h.tokens.viewer,
    });
    expect(r.status, r.text).toBe(400);
    expect(r.json.ok).toBe(false);
  });
});

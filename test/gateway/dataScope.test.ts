import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Alarm } from '../../shared/contract/alarms.ts';
import { type Harness, startHarness, VENDOR_A } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ store: 'memory' });
});
afterAll(async () => {
  await h?.stop();
});

test("a vendor's alarm history is its own newest alarms, not its share of everyone's oldest", async () => {
  const registry = h.broker.registry;
  const vendorOf = (lampId: string) => registry.model(registry.lamp(lampId)!.modelId)!.vendorId;
  const own = registry.lamps.find((l) => vendorOf(l.id) === VENDOR_A)!;
  const others = registry.lamps.filter((l) => vendorOf(l.id) !== VENDOR_A);
  const now = Date.now();
  const alarm = (lampId: string, ts: number, i: number): Alarm => ({
    alarmId: `lampFailure:${lampId}:${i}`,
    type: 'lampFailure',
    state: 'raised',
    severity: 'major',
    lampId,
    segmentId: registry.lamp(lampId)!.segmentId,
    ts,
    detail: `n${i}`,
  });
  // 1,200 alarms of other vendors first, then 3 of the vendor's own.
  const rows = Array.from({ length: 1_200 }, (_, i) =>
    alarm(others[i % others.length]!.id, now - 3_600_000 + i, i),
  );
  for (let i = 0; i < 3; i++) rows.push(alarm(own.id, now - 60_000 + i, 2_000 + i));
  await h.store!.writeAlarms(rows);

  const mine = await h.api('GET', '/api/alarms/history', { token: h.tokens.vendor });
  expect(mine.status, mine.text).toBe(200);
  expect(mine.json.alarms.map((a: Alarm) => a.lampId)).toEqual([own.id, own.id, own.id]);
  // An admin asking for that vendor gets the same.
  const admin = await h.api('GET', `/api/alarms/history?vendorId=${VENDOR_A}`, {
    token: h.tokens.admin,
  });
  expect(admin.json.count).toBe(3);
});

test("history's point limit counts the lamps the query covers, not the whole route", async () => {
  const segment = h.broker.registry.segments[0]!;
  const to = Date.now();
  const from = to - 3_600_000;
  // An hour at 1 s buckets: ~23 lamps of a segment fit the 200,000-point limit, 280 do not.
  const q = `field=activePower&from=${from}&to=${to}&bucketMs=1000&agg=mean`;
  const one = await h.api('GET', `/api/history?${q}&segmentId=${segment.id}`, {
    token: h.tokens.operator,
  });
  expect(one.status, one.text).toBe(200);
  const all = await h.api('GET', `/api/history?${q}`, { token: h.tokens.operator });
  expect(all.status).toBe(400);
  expect(all.json.error).toContain('too many points');
});

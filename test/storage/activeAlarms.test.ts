import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Alarm } from '../../shared/contract/alarms.ts';
import { activeAlarms } from '../../shared/storage/activeAlarms.ts';
import { createDuckdbStore } from '../../shared/storage/duckdb/duckdbStore.ts';
import type { Store } from '../../shared/storage/port.ts';

let store: Store;
beforeAll(async () => {
  store = await createDuckdbStore({ path: ':memory:' });
});
afterAll(async () => {
  await store.close();
});

const T0 = Date.UTC(2026, 10, 22, 20);
const alarm = (id: number, state: Alarm['state'], ts: number): Alarm => ({
  alarmId: `lampFailure:DOLL-${String(id).padStart(4, '0')}`,
  type: 'lampFailure',
  state,
  severity: 'major',
  lampId: `DOLL-${String(id).padStart(4, '0')}`,
  segmentId: 'seg-01',
  ts,
  detail: `${state} ${id}`,
});

test('active alarms: the latest transition of each alarm, read page by page', async () => {
  const rows: Alarm[] = [];
  // Lamps 1-6 raised; 2 and 4 cleared later; 4 raised again; 6 raised twice at one instant
  // among others sharing it (a page boundary on equal times); 7 raised too long ago.
  for (let i = 1; i <= 6; i++) rows.push(alarm(i, 'raised', T0 + i * 1000));
  rows.push(alarm(2, 'cleared', T0 + 10_000), alarm(4, 'cleared', T0 + 11_000));
  rows.push(alarm(4, 'raised', T0 + 12_000));
  for (let i = 8; i <= 12; i++) rows.push(alarm(i, 'raised', T0 + 13_000));
  rows.push(alarm(8, 'cleared', T0 + 14_000));
  rows.push(alarm(7, 'raised', T0 - 8 * 24 * 3_600_000));
  await store.writeAlarms(rows);

  const now = T0 + 60_000;
  for (const pageSize of [2, 3, 10_000]) {
    const active = await activeAlarms(store, now, { pageSize });
    expect(active.map((a) => a.lampId).sort()).toEqual(
      ['DOLL-0001', 'DOLL-0003', 'DOLL-0004', 'DOLL-0005', 'DOLL-0006']
        .concat(['DOLL-0009', 'DOLL-0010', 'DOLL-0011', 'DOLL-0012'])
        .sort(),
    );
    expect(active.find((a) => a.lampId === 'DOLL-0004')?.ts).toBe(T0 + 12_000);
  }
});

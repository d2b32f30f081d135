/**
 * Start-up reads the last-state, not history: the gateway's live view is seeded from last_state
 * when the store has one (a history of other values is not consulted), and from raw history only
 * in a store written before last_state existed.
 */
import { describe, expect, it } from 'vitest';
import { LiveView } from '../../services/gateway/live/LiveView.ts';
import { seedFromStore } from '../../services/gateway/live/seed.ts';
import { tagsOf } from '../../services/processor/ingest.ts';
import { silentLogger } from '../../shared/log.ts';
import { loadRegistry } from '../../shared/registry/index.ts';
import { createDuckdbStore } from '../../shared/storage/duckdb/duckdbStore.ts';
import type { StoredTelemetry } from '../../shared/storage/port.ts';
import { newestReadings } from '../../shared/storage/storedRows.ts';

const registry = loadRegistry();
const lampId = registry.lamps[0]!.id;
const tags = tagsOf(registry, lampId)!;
const T = Date.UTC(2026, 10, 22, 20, 0, 0);
const at = (i: number, actualLevel: number): StoredTelemetry => ({
  ...tags,
  seq: i,
  ts: T + i * 1000,
  targetLevel: actualLevel,
  actualLevel,
  activePower: 30,
  activeEnergy: 10,
  supplyVoltage: 230,
  supplyCurrent: 0.2,
  powerFactor: 0.95,
  operatingHours: 100,
  switchOnCounter: 3,
  gearTemperature: 31,
});

describe('start-up from last_state', () => {
  it('seeds the live view from last_state, and from history only without one', async () => {
    const store = await createDuckdbStore({ path: ':memory:' });
    try {
      await store.writeTelemetry([at(0, 10), at(1, 20)]);
      const before = new LiveView(registry);
      await seedFromStore(store, before, T, silentLogger);
      expect(before.get(lampId)?.telemetry?.actualLevel).toBe(20);

      // last_state says 70 (newer than any history row): that is what a start shows.
      await store.writeLastState([at(5, 70)]);
      expect(await newestReadings(store)).toEqual([at(5, 70)]);
      const after = new LiveView(registry);
      await seedFromStore(store, after, T, silentLogger);
      expect(after.get(lampId)?.telemetry?.actualLevel).toBe(70);
      expect(after.get(lampId)?.telemetry?.ts).toBe(T + 5000);
    } finally {
      await store.close();
    }
  });
});

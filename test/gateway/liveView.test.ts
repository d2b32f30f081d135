import { expect, test } from 'vitest';
import { LiveView } from '../../services/gateway/live/LiveView.ts';
import { loadRegistry } from '../../shared/registry/index.ts';

const registry = loadRegistry();
const lampId = registry.lamps[0]!.id;
const T0 = Date.UTC(2026, 10, 22, 18);

test('a last will takes a lamp offline though it is stamped before the birth it follows', () => {
  const live = new LiveView(registry);
  // Connected at T0 (the will is set then, with that time); online announced a moment later.
  expect(live.status({ lampId, state: 'online', ts: T0 + 5 })).toBe(true);
  // The connection drops days later: the broker sends the will, still stamped T0.
  expect(live.status({ lampId, state: 'offline', ts: T0 })).toBe(true);
  expect(live.get(lampId)?.status).toBe('offline');
  // An older ordinary status (not a will) still loses against a newer one.
  live.status({ lampId, state: 'online', ts: T0 + 100 });
  expect(live.status({ lampId, state: 'offline', ts: T0 + 50, reason: 'shutdown' })).toBe(false);
  expect(live.get(lampId)?.status).toBe('online');
});

import type { Logger } from '../../../shared/log.ts';
import { activeAlarms } from '../../../shared/storage/activeAlarms.ts';
import type { Store } from '../../../shared/storage/port.ts';
import type { LiveView } from './LiveView.ts';

/**
 * Seed the live view from storage so a restarted gateway shows the last readings and the
 * still-raised alarms before the first MQTT message arrives. A failing store is logged, not
 * fatal: live data will fill the view.
 */
export async function seedFromStore(
  store: Store,
  live: LiveView,
  now: number,
  log: Logger,
): Promise<void> {
  try {
    for (const t of await store.latest({})) {
      const { segmentId: _s, vendorId: _v, modelId: _m, ...reading } = t;
      live.telemetry(reading);
    }
    for (const a of await activeAlarms(store, now)) live.alarm(a);
  } catch (err) {
    log.warn({ err }, 'could not seed the live view from storage');
  }
}

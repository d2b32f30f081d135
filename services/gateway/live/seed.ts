import type { Logger } from '../../../shared/log.ts';
import type { Store } from '../../../shared/storage/port.ts';
import type { LiveView } from './LiveView.ts';

/** How far back active alarms are looked for at start. */
const ALARM_LOOKBACK_MS = 7 * 24 * 3_600_000;

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
    const alarms = await store.alarms({
      from: now - ALARM_LOOKBACK_MS,
      to: now + 1,
      limit: 10_000,
    });
    // Replay in time order: the last state of each alarm id wins.
    for (const a of [...alarms].sort((x, y) => x.ts - y.ts)) live.alarm(a);
  } catch (err) {
    log.warn({ err }, 'could not seed the live view from storage');
  }
}

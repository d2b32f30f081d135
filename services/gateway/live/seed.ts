import type { Logger } from '../../../shared/log.ts';
import { activeAlarms } from '../../../shared/storage/activeAlarms.ts';
import type { Store } from '../../../shared/storage/port.ts';
import { newestReadings } from '../../../shared/storage/storedRows.ts';
import type { AuditLog } from '../audit/AuditLog.ts';
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
    // last_state, not a scan of history: the start costs the same whatever the lab's age.
    for (const t of await newestReadings(store)) {
      const { segmentId: _s, vendorId: _v, modelId: _m, ...reading } = t;
      live.telemetry(reading);
    }
    for (const a of await activeAlarms(store, now)) live.alarm(a);
  } catch (err) {
    log.warn({ err }, 'could not seed the live view from storage');
  }
}

/**
 * Acknowledgements of still-raised alarms, taken back from the audit log (they live in memory
 * otherwise): the newest `alarm.acknowledged` of an alarm, if it came after the alarm was raised.
 */
export function restoreAcknowledgements(live: LiveView, audit: AuditLog): void {
  for (const a of live.activeAlarms()) {
    const [ack] = audit.query({ action: 'alarm.acknowledged', subject: a.alarmId, limit: 1 });
    if (ack && ack.ts >= a.ts) live.acknowledgeAlarm(a.alarmId, ack.actor, ack.ts);
  }
}

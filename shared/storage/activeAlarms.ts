import type { Alarm } from '../contract/alarms.ts';
import type { Store } from './port.ts';
import { QUERY_LIMITS } from './queries.ts';

/** How far back still-raised alarms are looked for. */
export const ACTIVE_ALARM_LOOKBACK_MS = 7 * 24 * 3_600_000;

/**
 * The alarms still raised at `now`: those whose latest stored transition within the lookback is
 * `raised`. The store answers oldest first and at most a page at a time, so a busy week is read
 * page by page (a bounded number), each page starting at the last one's newest time.
 */
export async function activeAlarms(
  store: Pick<Store, 'alarms'>,
  now: number,
  opts: { lookbackMs?: number; pageSize?: number; maxPages?: number } = {},
): Promise<Alarm[]> {
  const pageSize = opts.pageSize ?? QUERY_LIMITS.maxRows;
  const latest = new Map<string, Alarm>();
  let from = now - (opts.lookbackMs ?? ACTIVE_ALARM_LOOKBACK_MS);
  const take = (rows: readonly Alarm[]) => {
    for (const a of rows) {
      const seen = latest.get(a.alarmId);
      if (!seen || a.ts >= seen.ts) latest.set(a.alarmId, a);
    }
  };
  for (let page = 0; page < (opts.maxPages ?? 100); page++) {
    const rows = await store.alarms({ from, to: now + 1, limit: pageSize });
    take(rows);
    if (rows.length < pageSize) break;
    const newest = rows[rows.length - 1]?.ts ?? from;
    if (newest > from) {
      from = newest; // the next page starts at this page's newest instant, read again whole
      continue;
    }
    // A full page all at one instant: read that instant whole (up to the store's row cap),
    // then go on after it.
    take(await store.alarms({ from, to: from + 1, limit: QUERY_LIMITS.maxRows }));
    from += 1;
  }
  return [...latest.values()].filter((a) => a.state === 'raised');
}

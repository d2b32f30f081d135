/**
 * The active alarms, and what they mean for each lamp's mark on the map. A segment's supply
 * loss marks every lamp of that segment.
 */
import type { Alarm } from '../../../shared/contract/index.ts';
import { FLAG, type LiveTable } from './LiveTable.ts';

export type ActiveAlarm = Alarm & {
  vendorId?: string;
  acknowledgedBy?: string;
  acknowledgedAt?: number;
};

const FLAG_OF: Record<Alarm['type'], number> = {
  lampFailure: FLAG.lampFailure,
  segmentSupplyLoss: FLAG.supplyLoss,
  dayBurning: FLAG.dayBurning,
  commsLost: FLAG.commsLost,
  powerDeviation: FLAG.powerDeviation,
  commandNotAcked: FLAG.commandNotAcked,
};

export class AlarmBook {
  readonly active = new Map<string, ActiveAlarm>();
  version = 0;

  replace(alarms: readonly ActiveAlarm[]): void {
    this.active.clear();
    for (const a of alarms) if (a.state === 'raised') this.active.set(a.alarmId, a);
    this.version += 1;
  }

  apply(a: ActiveAlarm): void {
    if (a.state === 'cleared') this.active.delete(a.alarmId);
    else this.active.set(a.alarmId, a);
    this.version += 1;
  }

  /** Newest first. */
  list(): ActiveAlarm[] {
    return [...this.active.values()].sort((a, b) => b.ts - a.ts);
  }

  /** Recompute every lamp's alarm bits (alarms are few; lamps may be 100,000: one pass each). */
  markLamps(table: LiveTable): void {
    table.flags.fill(0);
    const segmentFlags = new Map<string, number>();
    for (const a of this.active.values()) {
      const bit = FLAG_OF[a.type];
      if (a.lampId !== undefined) {
        const i = table.indexOf.get(a.lampId);
        if (i !== undefined) table.flags[i]! |= bit;
      } else if (a.segmentId !== undefined) {
        segmentFlags.set(a.segmentId, (segmentFlags.get(a.segmentId) ?? 0) | bit);
      }
    }
    if (segmentFlags.size > 0) {
      const codes = table.segments.map((s) => segmentFlags.get(s) ?? 0);
      for (let i = 0; i < table.size; i++) table.flags[i]! |= codes[table.segment[i]!] ?? 0;
    }
    table.version += 1;
  }
}

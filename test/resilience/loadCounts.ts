/**
 * Counting for the faults-under-load suite: every telemetry reading the simulator's lamps
 * publish, whether the broker acknowledged it, and in which phase of the run; then the same
 * readings as InfluxDB holds them. Lost = acknowledged and not stored; duplicated = stored more
 * than once (InfluxDB keeps one point per series and time, so a duplicate is a second series
 * or a second timestamp for one reading: grouped by lampId alone, both show as two rows).
 */
import { influxQuery } from '../helpers/influxd.ts';

export interface PhaseCounts {
  acked: number;
  notAcked: number;
  lost: number;
  duplicated: number;
  /** Stored though never acknowledged (at-least-once: a PUBACK lost with a broker). */
  storedUnacked: number;
}

/** Readings of one lamp, by device timestamp (ms), with the phase each was acknowledged in. */
class LampLedger {
  acked = new Map<number, number>();
  notAcked = new Map<number, number>();
}

export class ReadingLedger {
  private readonly lamps = new Map<string, LampLedger>();
  phase = 0;
  minTs = Number.POSITIVE_INFINITY;
  maxTs = Number.NEGATIVE_INFINITY;

  private lamp(id: string): LampLedger {
    let l = this.lamps.get(id);
    if (!l) {
      l = new LampLedger();
      this.lamps.set(id, l);
    }
    return l;
  }

  /** One publish outcome of a telemetry payload (`{lampId, ts, ...}`). */
  record(payload: string, acked: boolean): void {
    const r = JSON.parse(payload) as { lampId: string; ts: number };
    const l = this.lamp(r.lampId);
    if (acked) {
      l.acked.set(r.ts, this.phase);
      l.notAcked.delete(r.ts);
    } else if (!l.acked.has(r.ts)) l.notAcked.set(r.ts, this.phase);
    if (r.ts < this.minTs) this.minTs = r.ts;
    if (r.ts > this.maxTs) this.maxTs = r.ts;
  }

  get ackedTotal(): number {
    let n = 0;
    for (const l of this.lamps.values()) n += l.acked.size;
    return n;
  }

  /** Counts per phase against what the store holds (lampId -> timestamps, with repeats). */
  /** Up to `max` acknowledged readings missing from `stored`, as `lampId@ts`. */
  missing(stored: Map<string, number[]>, max = 10): string[] {
    const out: string[] = [];
    for (const [id, l] of this.lamps) {
      const have = new Set(stored.get(id) ?? []);
      for (const ts of l.acked.keys()) {
        if (!have.has(ts)) out.push(`${id}@${ts}`);
        if (out.length >= max) return out;
      }
    }
    return out;
  }

  compare(stored: Map<string, number[]>, phases: number): PhaseCounts[] {
    const out = Array.from({ length: phases }, () => ({
      acked: 0,
      notAcked: 0,
      lost: 0,
      duplicated: 0,
      storedUnacked: 0,
    }));
    const at = (p: number | undefined) => out[Math.min(p ?? 0, phases - 1)]!;
    for (const [id, l] of this.lamps) {
      const seen = new Map<number, number>();
      for (const ts of stored.get(id) ?? []) seen.set(ts, (seen.get(ts) ?? 0) + 1);
      for (const [ts, phase] of l.acked) {
        const c = at(phase);
        c.acked++;
        const n = seen.get(ts) ?? 0;
        if (n === 0) c.lost++;
        else if (n > 1) c.duplicated += n - 1;
      }
      for (const [ts, phase] of l.notAcked) {
        const c = at(phase);
        c.notAcked++;
        const n = seen.get(ts) ?? 0;
        if (n > 0) c.storedUnacked++;
        if (n > 1) c.duplicated += n - 1;
      }
    }
    return out;
  }
}

/**
 * Every stored telemetry timestamp per lamp in [from, to], read in windows so that no answer
 * is huge (InfluxDB 1.6 builds the whole JSON in memory).
 */
export async function storedTelemetry(
  url: string,
  database: string,
  from: number,
  to: number,
  windowMs = 15_000,
): Promise<{ byLamp: Map<string, number[]>; total: number }> {
  const byLamp = new Map<string, number[]>();
  let total = 0;
  for (let a = from; a <= to; a += windowMs) {
    const b = Math.min(a + windowMs, to + 1);
    const series = await influxQuery(
      url,
      database,
      `SELECT "seq" FROM "telemetry" WHERE time >= ${a}ms AND time < ${b}ms GROUP BY "lampId"`,
    );
    for (const s of series) {
      const id = s.tags?.lampId ?? '';
      let list = byLamp.get(id);
      if (!list) {
        list = [];
        byLamp.set(id, list);
      }
      for (const row of s.values) list.push(Number(row[0]));
      total += s.values.length;
    }
  }
  return { byLamp, total };
}

/** How many telemetry points InfluxDB holds in [from, to]: one cheap query, for polling. */
export async function storedCount(
  url: string,
  database: string,
  from: number,
  to: number,
): Promise<number> {
  const series = await influxQuery(
    url,
    database,
    `SELECT count("seq") FROM "telemetry" WHERE time >= ${from}ms AND time <= ${to}ms`,
  );
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

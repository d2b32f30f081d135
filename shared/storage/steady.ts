/**
 * The steady-state tier: per lamp and hour, what the lamp's steady minutes add up to at each
 * level, so that a dimming curve over weeks reads a few rows per lamp-hour instead of every
 * minute (the vendor report's cost, docs/benchmarks/reports.md).
 *
 * A minute is steady at level L when its 1-minute rollup has the actual level min = max = the
 * commanded (target) level min = max = L (within the contract's 0.1 % rounding). It counts for
 * the tier when, besides, the level had held for the settle time (SETTLE_MS) before it: the last
 * minute with readings at or before then (looking back at most LOOKBACK_MS) and every minute
 * with readings since were steady at L. A
 * minute that straddles a level change is never steady; the settle time keeps out the minutes
 * just after one. Per lamp and hour the tier keeps one row per level (readings, and sum and
 * count of power, operating hours and illuminance over the counting minutes) and one `any` row
 * (readings, minutes and 10-minute slots with readings, first minute with readings) for
 * availability and for checking the tier against the hourly rollup.
 *
 * The processor writes the tier with each hour's rollup (computeSteady); readers take it where
 * it agrees with the hourly rollup (same readings per lamp-hour) and compute the rest from the
 * 1-minute rollups or raw readings with the same code (composedSteady): the same answer either
 * way, because a 1-minute rollup holds exactly the statistics of its readings.
 */
import type { LampFilter, LampTags, PartialRow, RollupState, SteadyRow, Store } from './port.ts';
import { planPieces } from './rollup.ts';
import { STEADY_FIELDS } from './schema.ts';

export { STEADY_FIELDS } from './schema.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** How long a level must have held before its minutes count (lamps settle after a change). */
export const SETTLE_MS = 10 * 60_000;
/**
 * How far back a minute looks for the reading that shows its level held since the settle time
 * (lamps that report every few minutes have minutes without readings).
 */
export const LOOKBACK_MS = 2 * SETTLE_MS;
/** Availability slot: a lamp-slot is available when it has at least one reading. */
export const SLOT_MS = 10 * 60_000;
/** The `level` of a lamp-hour's totals row. */
export const ANY_LEVEL = 'any';
/** Readings that agree within this are one level (the contract rounds levels to 0.1 %). */
const LEVEL_EPS = 0.05;
/** Minutes a fallback read covers at most (the aggregate read allows 10,000 buckets). */
const CHUNK_MS = 6 * HOUR_MS;

type Reads = Pick<Store, 'partials' | 'rollupState'>;

const num = (row: PartialRow, column: string): number | undefined => {
  const v = row[column];
  return typeof v === 'number' ? v : undefined;
};

/** The level a minute (a 1-minute partials row) held throughout, or undefined. */
export function minuteLevel(row: PartialRow): number | undefined {
  const aMin = num(row, 'actualLevel_min');
  const aMax = num(row, 'actualLevel_max');
  const tMin = num(row, 'targetLevel_min');
  const tMax = num(row, 'targetLevel_max');
  if (aMin === undefined || aMax === undefined || tMin === undefined || tMax === undefined)
    return undefined;
  if (aMax - aMin > LEVEL_EPS || tMax - tMin > LEVEL_EPS) return undefined;
  if (Math.abs(aMin - tMin) > LEVEL_EPS) return undefined;
  return aMin;
}

/** The tier's level tag of a steady level: rounded to the contract's 0.1 %. */
export const levelTag = (level: number) => String(Math.round(level * 10) / 10);

/**
 * The tier rows of [from, to) (hour rows keyed by the hour's start) from 1-minute partials rows
 * covering [from - LOOKBACK_MS, to) with the columns `count`, actual and target level min/max and
 * STEADY_FIELDS sum/n. Pure.
 */
export function steadyRowsOf(
  minutes: readonly PartialRow[],
  from: number,
  to: number,
): SteadyRow[] {
  const byLamp = new Map<string, PartialRow[]>();
  for (const r of minutes) {
    const key = `${r.lampId}\u0000${r.segmentId}\u0000${r.vendorId}\u0000${r.modelId}`;
    const list = byLamp.get(key);
    if (list) list.push(r);
    else byLamp.set(key, [r]);
  }
  const out = new Map<string, SteadyRow>();
  const rowOf = (tags: LampTags, hour: number, level: string): SteadyRow => {
    const key = `${tags.lampId}\u0000${tags.segmentId}\u0000${tags.vendorId}\u0000${tags.modelId}\u0000${hour}\u0000${level}`;
    let row = out.get(key);
    if (!row) {
      row = {
        lampId: tags.lampId,
        segmentId: tags.segmentId,
        vendorId: tags.vendorId,
        modelId: tags.modelId,
        ts: hour,
        level,
        minutes: 0,
        count: 0,
      };
      out.set(key, row);
    }
    return row;
  };
  for (const list of byLamp.values()) {
    list.sort((a, b) => a.ts - b.ts);
    const levels = list.map(minuteLevel);
    for (let i = 0; i < list.length; i++) {
      const m = list[i]!;
      if (m.ts < from || m.ts >= to) continue;
      const count = num(m, 'count') ?? 0;
      if (count <= 0) continue;
      const hour = Math.floor(m.ts / HOUR_MS) * HOUR_MS;
      const any = rowOf(m, hour, ANY_LEVEL);
      any.minutes += 1;
      any.count += count;
      any.slots = (any.slots ?? 0) | (1 << Math.floor((m.ts - hour) / SLOT_MS));
      if (any.first === undefined || m.ts < any.first) any.first = m.ts;
      const level = levels[i];
      if (level === undefined) continue;
      // The level held since the settle time before this minute: every minute with readings
      // back to the last one at or before then (within LOOKBACK_MS) was at it.
      let held = false;
      for (let j = i - 1; j >= 0 && list[j]!.ts >= m.ts - LOOKBACK_MS; j--) {
        const before = levels[j];
        if (before === undefined || Math.abs(before - level) > LEVEL_EPS) break;
        if (list[j]!.ts <= m.ts - SETTLE_MS) {
          held = true;
          break;
        }
      }
      if (!held) continue;
      const row = rowOf(m, hour, levelTag(level));
      row.minutes += 1;
      row.count += count;
      for (const f of STEADY_FIELDS) {
        const sum = num(m, `${f}_sum`);
        const n = num(m, `${f}_n`);
        if (sum === undefined || n === undefined || n === 0) continue;
        row[`${f}_sum`] = ((row[`${f}_sum`] as number | undefined) ?? 0) + sum;
        row[`${f}_n`] = ((row[`${f}_n`] as number | undefined) ?? 0) + n;
      }
    }
  }
  // Each level row carries its hour's readings: a row left from an earlier computation of the
  // hour (a level the lamp no longer held there) no longer matches the `any` row and is ignored.
  const hourCount = new Map<string, number>();
  for (const r of out.values())
    if (r.level === ANY_LEVEL) hourCount.set(`${r.lampId}\u0000${r.ts}`, r.count);
  for (const r of out.values()) r.hourCount = hourCount.get(`${r.lampId}\u0000${r.ts}`) ?? 0;
  return [...out.values()];
}

/**
 * The tier rows of [from, to) computed from 1-minute buckets (1-minute rollups where complete,
 * raw readings elsewhere), in chunks the aggregate read allows.
 */
export async function steadyFromMinutes(
  store: Reads,
  filter: LampFilter,
  from: number,
  to: number,
  state?: RollupState,
): Promise<SteadyRow[]> {
  const rollups = state ?? (await store.rollupState());
  const out: SteadyRow[] = [];
  for (let a = from; a < to; a += CHUNK_MS) {
    const b = Math.min(to, a + CHUNK_MS);
    const rows: PartialRow[] = [];
    const start = Math.floor((a - LOOKBACK_MS) / MINUTE_MS) * MINUTE_MS;
    for (const p of planPieces(start, b, rollups, MINUTE_MS))
      rows.push(
        ...(await store.partials({
          ...filter,
          source: p.source,
          from: p.from,
          to: p.to,
          bucketMs: MINUTE_MS,
          fields: ['actualLevel', 'targetLevel', ...STEADY_FIELDS],
          stats: ['sum', 'n', 'min', 'max'],
          count: true,
        })),
      );
    out.push(...steadyRowsOf(rows, a, b));
  }
  return out;
}

/**
 * Compute and store the tier rows of [from, to) (the processor, after the hour's rollup);
 * returns them. Stores without the tier: nothing is written.
 */
export async function computeSteady(
  store: Reads & Pick<Store, 'writeSteady'>,
  from: number,
  to: number,
  state?: RollupState,
): Promise<SteadyRow[]> {
  if (!store.writeSteady) return [];
  const rows = await steadyFromMinutes(store, {}, from, to, state);
  if (rows.length > 0) await store.writeSteady(rows);
  return rows;
}

/** Sorted, merged ranges. */
function mergeRanges(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    const last = out.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/**
 * The tier rows of [from, to) for the lamps the filter covers: stored rows for the hours where
 * the hourly rollup is complete and every lamp's `any` row has the readings of its hourly
 * rollup row; the rest (history from before the tier, the open hour, hours whose minutes
 * changed since) computed from the minutes. Rows of one lamp-hour are either all stored or all
 * computed.
 */
export async function composedSteady(
  store: Reads & Pick<Store, 'steady'>,
  filter: LampFilter,
  from: number,
  to: number,
): Promise<SteadyRow[]> {
  const state = await store.rollupState();
  const out: SteadyRow[] = [];
  const fromMinutes: [number, number][] = [];
  for (const p of planPieces(from, to, state, HOUR_MS)) {
    if (p.source !== '1h' || !store.steady) {
      fromMinutes.push([p.from, p.to]);
      continue;
    }
    const [tier, hours] = await Promise.all([
      store.steady({ ...filter, from: p.from, to: p.to }),
      store.partials({
        ...filter,
        source: '1h',
        from: p.from,
        to: p.to,
        bucketMs: HOUR_MS,
        fields: ['targetLevel'],
        stats: ['n'],
        count: true,
      }),
    ]);
    const any = new Map<string, number>();
    for (const r of tier) if (r.level === ANY_LEVEL) any.set(`${r.lampId}\u0000${r.ts}`, r.count);
    const rollupCount = new Map<string, number>();
    const stale = new Set<number>();
    for (const h of hours) {
      const key = `${h.lampId}\u0000${h.ts}`;
      const count = num(h, 'count') ?? 0;
      rollupCount.set(key, count);
      if (count > 0 && any.get(key) !== count) stale.add(h.ts);
    }
    for (const r of tier) {
      const key = `${r.lampId}\u0000${r.ts}`;
      if (stale.has(r.ts) || rollupCount.get(key) !== any.get(key)) continue;
      if (r.level === ANY_LEVEL || r.hourCount === any.get(key)) out.push(r);
    }
    for (const h of stale) fromMinutes.push([h, h + HOUR_MS]);
  }
  for (const [a, b] of mergeRanges(fromMinutes))
    out.push(...(await steadyFromMinutes(store, filter, a, b, state)));
  return out;
}

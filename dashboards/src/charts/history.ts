/**
 * History from `/api/history` shaped for charts: one request per field, their buckets merged on
 * one x column. `bucketFor` picks a bucket so a window stays well under the gateway's point limit.
 */
import type { HistoryResponse } from '../../../services/gateway/responses.ts';
import type { TelemetryField } from '../../../shared/contract/index.ts';
import type { Api } from '../app/api.ts';
import type { Columns } from './timeChart.ts';

/** The gateway refuses a request above this many points (lamps x buckets). */
export const HISTORY_POINT_LIMIT = 200_000;
const STEPS_MS = [
  1_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
  7_200_000, 21_600_000, 43_200_000, 86_400_000,
];

/** The smallest round bucket that keeps lamps x buckets at most `budget` (and >= `minMs`). */
export function bucketFor(windowMs: number, lamps: number, budget = 20_000, minMs = 1_000): number {
  const need = (windowMs * Math.max(1, lamps)) / Math.min(budget, HISTORY_POINT_LIMIT);
  return STEPS_MS.find((s) => s >= need && s >= minMs) ?? STEPS_MS[STEPS_MS.length - 1]!;
}

export interface HistoryAsk {
  field: TelemetryField;
  agg?: 'mean' | 'min' | 'max' | 'last';
}

export function historyPath(
  q: { lampIds?: string[]; field: TelemetryField; agg?: string; from: number; to: number },
  bucketMs: number,
): string {
  const p = new URLSearchParams({
    field: q.field,
    agg: q.agg ?? 'mean',
    from: String(Math.floor(q.from)),
    to: String(Math.ceil(q.to)),
    bucketMs: String(bucketMs),
  });
  if (q.lampIds) p.set('lampIds', q.lampIds.join(','));
  return `/api/history?${p}`;
}

/** One lamp's fields over a window, as chart columns (a bucket missing in a field is null). */
export async function lampHistory(
  api: Api,
  lampId: string,
  asks: readonly HistoryAsk[],
  window: { from: number; to: number; bucketMs: number },
  signal?: AbortSignal,
): Promise<Columns> {
  const answers = await Promise.all(
    asks.map((a) =>
      api.get<HistoryResponse>(
        historyPath({ lampIds: [lampId], ...a, ...window }, window.bucketMs),
        signal,
      ),
    ),
  );
  const byField = answers.map((r) => {
    const m = new Map<number, number | null>();
    for (const s of r.series) for (const p of s.points) m.set(p.t, p.value);
    return m;
  });
  const xs = [...new Set(byField.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  return [xs, ...byField.map((m) => xs.map((t) => m.get(t) ?? null))] as Columns;
}

/** The sum over every returned lamp per bucket (e.g. the route's power), as two columns. */
export function sumSeries(r: HistoryResponse): [number[], number[]] {
  const sum = new Map<number, number>();
  for (const s of r.series) {
    for (const p of s.points) {
      if (p.value !== null) sum.set(p.t, (sum.get(p.t) ?? 0) + p.value);
    }
  }
  const xs = [...sum.keys()].sort((a, b) => a - b);
  return [xs, xs.map((t) => sum.get(t) ?? 0)];
}

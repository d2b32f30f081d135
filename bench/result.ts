/** What every benchmark returns: raw figures, ratios against an in-run baseline, and notes. */
export interface BenchResult {
  name: string;
  metrics: Record<string, number | string>;
  /** Our figure divided by a baseline measured in the same run (machines here are noisy). */
  ratios: Record<string, number>;
  notes: string[];
}

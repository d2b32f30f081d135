/**
 * Measured dimming curves side by side: power against level for each luminaire model, from the
 * vendor reports' `dimmingCurve` (mean power of the readings at each level bucket).
 */
import type { ModelReport } from '../../../services/gateway/responses.ts';
import { type Columns, TimeChart } from './timeChart.ts';

const PALETTE = [
  '#0b63c5',
  '#c07a00',
  '#1e7a3c',
  '#b3261e',
  '#7b3fb5',
  '#00838f',
  '#5d4037',
  '#d81b60',
];

export function dimmingChart(title: string, models: readonly ModelReport[]): TimeChart {
  const shown = models.filter((m) => m.dimmingCurve.some((p) => p.powerW !== null));
  const chart = new TimeChart({
    title,
    xKind: 'number',
    xLabel: 'Level, %',
    series: shown.map((m, i) => ({
      label: m.modelName,
      unit: 'W',
      colour: PALETTE[i % PALETTE.length]!,
      width: 2,
    })),
    height: 240,
  });
  const levels = [...new Set(shown.flatMap((m) => m.dimmingCurve.map((p) => p.level)))].sort(
    (a, b) => a - b,
  );
  const cols = shown.map((m) => {
    const at = new Map(m.dimmingCurve.map((p) => [p.level, p.powerW]));
    return levels.map((l) => at.get(l) ?? null);
  });
  chart.setData([levels, ...cols] as Columns);
  chart.element.dataset.models = String(shown.length);
  return chart;
}

/**
 * Charts with one line per luminaire model: measured dimming curves side by side (power against
 * level, from the vendor reports' `dimmingCurve`) and per-model figures per night. Each model's
 * points are aligned on the x values any model has; a model without a point there gets a gap.
 */
import type { ModelReport } from '../../../services/gateway/responses.ts';
import { type Columns, TimeChart, type TimeChartOptions } from './timeChart.ts';

const PALETTE = [
  '#0b63c5',
  '#c07a00',
  '#1e7a3c',
  '#b3261e',
  '#7b3fb5',
  '#00838f',
  '#5d4037',
  '#d81b60',
  '#3949ab',
  '#827717',
  '#455a64',
  '#e65100',
];

export function modelChart(
  opts: Omit<TimeChartOptions, 'series'> & { unit: string; digits?: number },
  models: readonly ModelReport[],
  points: (m: ModelReport) => [number, number | null][],
  window?: [number, number],
): TimeChart {
  const chart = new TimeChart({
    ...opts,
    series: models.map((m, i) => ({
      label: m.modelName,
      unit: opts.unit,
      colour: PALETTE[i % PALETTE.length]!,
      digits: opts.digits ?? 1,
      width: 2,
    })),
  });
  const each = models.map((m) => new Map(points(m)));
  const xs = [...new Set(each.flatMap((p) => [...p.keys()]))].sort((a, b) => a - b);
  chart.setData([xs, ...each.map((p) => xs.map((x) => p.get(x) ?? null))] as Columns, window);
  chart.element.dataset.models = String(models.length);
  return chart;
}

export function dimmingChart(title: string, models: readonly ModelReport[]): TimeChart {
  return modelChart(
    { title, xKind: 'number', xLabel: 'Level, %', unit: 'W', height: 240 },
    models.filter((m) => m.dimmingCurve.some((p) => p.powerW !== null)),
    (m) => m.dimmingCurve.map((p) => [p.level, p.powerW]),
  );
}

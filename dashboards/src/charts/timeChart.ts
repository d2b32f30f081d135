/**
 * uPlot behind a small interface: a titled figure with one or two y scales, resized with its
 * container, fed with columns (`x` then one array per series). x is epoch ms (time axes) or a
 * plain number (`xKind: 'number'`, e.g. a dimming level). A screen-reader summary below the
 * canvas says how many points there are and the latest value of each series.
 */
import uPlot from 'uplot';
import { el, fmt, setText } from '../app/dom.ts';

export interface SeriesSpec {
  label: string;
  unit: string;
  colour: string;
  /** Series sharing a scale share an axis; the second scale gets the right-hand axis. */
  scale?: string;
  digits?: number;
  /** Steps instead of straight lines between points (programs, levels). */
  stepped?: boolean;
  width?: number;
}

export interface TimeChartOptions {
  /** The figure's caption and accessible name. */
  title: string;
  series: readonly SeriesSpec[];
  height?: number;
  xKind?: 'time' | 'number';
  /** Axis label for a numeric x. */
  xLabel?: string;
  /** Fixed y range per scale, e.g. `{ level: [0, 100] }`. */
  ranges?: Record<string, [number, number]>;
  /** Show times in this zone (the lab's local time for programs), else the browser's. */
  timeZone?: string;
  /** Vertical markers (sunset, sunrise, the replay's cursor), by x value. */
  markers?: () => { x: number; label: string; colour: string }[];
}

export type Columns = [number[], ...(number | null)[][]];

const DEFAULT_HEIGHT = 220;

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const MO = 30 * D;
const Y = 365 * D;
/**
 * Tick steps of a time axis: uPlot's own list for milliseconds without its sub-second steps.
 * Readings are a second apart at most, so a live chart holding a few seconds labels whole
 * seconds (`:10`, `:11`), never `:10.500`.
 */
export const TIME_TICK_STEPS_MS: readonly number[] = [
  S,
  5 * S,
  10 * S,
  15 * S,
  30 * S,
  M,
  5 * M,
  10 * M,
  15 * M,
  30 * M,
  H,
  2 * H,
  3 * H,
  4 * H,
  6 * H,
  8 * H,
  12 * H,
  D,
  2 * D,
  3 * D,
  4 * D,
  5 * D,
  6 * D,
  7 * D,
  8 * D,
  9 * D,
  10 * D,
  15 * D,
  MO,
  2 * MO,
  3 * MO,
  4 * MO,
  6 * MO,
  Y,
  2 * Y,
  5 * Y,
  10 * Y,
  25 * Y,
  50 * Y,
  100 * Y,
];

export class TimeChart {
  readonly element: HTMLElement;
  private readonly plotHost: HTMLDivElement;
  private readonly summary: HTMLParagraphElement;
  private plot: uPlot | undefined;
  private data: Columns;
  private readonly resize: ResizeObserver;
  /** The x range shown, when fixed (a history window), else the data's extent. */
  private window: [number, number] | undefined;

  constructor(private readonly opts: TimeChartOptions) {
    this.data = [[], ...opts.series.map(() => [])] as Columns;
    this.plotHost = el('div', { class: 'chart-plot', 'aria-hidden': 'true' });
    this.summary = el('p', { class: 'sr-only' });
    this.element = el(
      'figure',
      { class: 'chart', role: 'group', 'aria-label': opts.title, 'data-points': 0 },
      el('figcaption', {}, opts.title),
      this.plotHost,
      this.summary,
    );
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(this.plotHost);
  }

  /** Replace every column; x ascending. `window` fixes the x range (e.g. the whole week asked for). */
  setData(data: Columns, window?: [number, number]): void {
    this.window = window;
    this.data = data;
    this.element.dataset.points = String(data[0].length);
    this.describe();
    if (this.plot) this.plot.setData(data as uPlot.AlignedData);
    else this.fit();
  }

  /** Redraw without new data (markers moved). */
  redraw(): void {
    this.plot?.redraw(false, false);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  private fit(): void {
    const width = Math.floor(this.plotHost.getBoundingClientRect().width);
    if (width < 50) return;
    const height = this.opts.height ?? DEFAULT_HEIGHT;
    if (this.plot) {
      if (this.plot.width !== width) this.plot.setSize({ width, height });
      return;
    }
    this.plot = new uPlot(
      this.options(width, height),
      this.data as uPlot.AlignedData,
      this.plotHost,
    );
  }

  private options(width: number, height: number): uPlot.Options {
    const { series, xKind = 'time', ranges = {}, markers } = this.opts;
    const scales = [...new Set(series.map((s) => s.scale ?? s.unit))];
    const scaleOpts: uPlot.Scales = {
      x: {
        time: xKind === 'time',
        range: (_u, min, max) => this.window ?? [min, max],
      },
    };
    for (const s of scales) {
      const r = ranges[s];
      scaleOpts[s] = r ? { range: r } : {};
    }
    const axis = (scale: string, side: 0 | 1): uPlot.Axis => {
      const unit = series.find((s) => (s.scale ?? s.unit) === scale)?.unit ?? '';
      return {
        scale,
        side: side === 0 ? 3 : 1,
        label: unit,
        labelSize: 18,
        size: 52,
        grid: { show: side === 0, stroke: '#e3e7eb' },
        stroke: '#5b6773',
      };
    };
    const draw = markers
      ? [
          (u: uPlot) => {
            const ctx = u.ctx;
            for (const m of markers()) {
              const x = Math.round(u.valToPos(m.x, 'x', true));
              if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
              ctx.save();
              ctx.strokeStyle = m.colour;
              ctx.fillStyle = m.colour;
              ctx.lineWidth = 2 * uPlot.pxRatio;
              ctx.setLineDash([4 * uPlot.pxRatio, 3 * uPlot.pxRatio]);
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.font = `${11 * uPlot.pxRatio}px system-ui, sans-serif`;
              ctx.fillText(m.label, x + 4 * uPlot.pxRatio, u.bbox.top + 12 * uPlot.pxRatio);
              ctx.restore();
            }
          },
        ]
      : [];
    return {
      width,
      height,
      ms: 1,
      ...(this.opts.timeZone
        ? { tzDate: (ts: number) => uPlot.tzDate(new Date(ts), this.opts.timeZone!) }
        : {}),
      scales: scaleOpts,
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false } },
      hooks: {
        draw: [
          ...draw,
          (u: uPlot) => {
            // the x axis's tick labels, for tests and the curious (uPlot keeps them on the axis)
            const ticks = (u.axes[0] as { _values?: (string | null)[] })._values ?? [];
            this.element.dataset.xTicks = ticks.filter((t) => t).join('|');
          },
        ],
      },
      axes: [
        {
          stroke: '#5b6773',
          grid: { stroke: '#e3e7eb' },
          ...(xKind === 'number'
            ? { label: this.opts.xLabel ?? '', labelSize: 18 }
            : { incrs: [...TIME_TICK_STEPS_MS] }),
        },
        ...scales.slice(0, 2).map((s, i) => axis(s, i as 0 | 1)),
      ],
      series: [
        { label: xKind === 'time' ? 'Time' : (this.opts.xLabel ?? 'x') },
        ...series.map(
          (s): uPlot.Series => ({
            label: s.label,
            scale: s.scale ?? s.unit,
            stroke: s.colour,
            width: s.width ?? 1.5,
            spanGaps: false,
            value: (_u, v) => fmt(v, s.digits ?? 1, s.unit),
            ...(s.stepped ? { paths: uPlot.paths.stepped?.({ align: 1 }) } : {}),
          }),
        ),
      ],
    };
  }

  private describe(): void {
    const [xs, ...ys] = this.data;
    if (xs.length === 0) {
      setText(this.summary, `${this.opts.title}: no data`);
      return;
    }
    const latest = this.opts.series.map((s, k) => {
      const col = ys[k] ?? [];
      let v: number | null = null;
      for (let i = col.length - 1; i >= 0 && v === null; i--) v = col[i] ?? null;
      return `${s.label} ${fmt(v, s.digits ?? 1, s.unit)}`;
    });
    setText(this.summary, `${this.opts.title}: ${xs.length} points; latest ${latest.join(', ')}`);
  }
}

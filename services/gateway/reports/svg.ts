/**
 * Charts drawn as SVG on the server, for the printable reports (no script in the page: the same
 * drawing prints to PDF and shows in a browser). Pure: data in, markup out, every text escaped.
 */

export function escapeHtml(s: string | number): string {
  return String(s)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  /** Draw the points as bars rather than a line. */
  bars?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Labels for x values (a night's date), else the numbers. */
  xTicks?: readonly { x: number; label: string }[];
  width?: number;
  height?: number;
}

const COLOURS = ['#1f5fa8', '#c2571a', '#2e7d32', '#6a1b9a'];
const fmt = (v: number) =>
  Number.isInteger(v)
    ? String(v)
    : Math.abs(v) >= 100
      ? v.toFixed(0)
      : Math.abs(v) >= 1
        ? v.toFixed(1)
        : v.toFixed(3);

/** A line or bar chart with axes, ticks and a legend; an empty chart says it has no data. */
export function chart(series: readonly Series[], o: ChartOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 260;
  const m = { left: 60, right: 16, top: 28, bottom: 44 };
  const all = series.flatMap((s) => s.points);
  const head = `<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${escapeHtml(o.title)}</title><text x="${m.left}" y="16" font-size="13" font-weight="bold">${escapeHtml(o.title)}</text>`;
  if (all.length === 0)
    return `${head}<text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="12">no data</text></svg>`;
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs) === x0 ? x0 + 1 : Math.max(...xs);
  const y0 = Math.min(0, ...ys);
  const y1 = Math.max(...ys) === y0 ? y0 + 1 : Math.max(...ys) * 1.08;
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const anyBars = series.some((s) => s.bars);
  const slot = anyBars ? pw / (new Set(xs).size + 1) : 0;
  const sx = (x: number) => m.left + slot / 2 + ((x - x0) / (x1 - x0)) * (pw - slot);
  const sy = (y: number) => m.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const parts: string[] = [head];
  parts.push(
    `<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="#333"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="#333"/>`,
  );
  for (let i = 0; i <= 4; i++) {
    const v = y0 + ((y1 - y0) * i) / 4;
    parts.push(
      `<text x="${m.left - 6}" y="${sy(v) + 4}" text-anchor="end" font-size="10">${fmt(v)}</text>`,
      `<line x1="${m.left}" y1="${sy(v)}" x2="${m.left + pw}" y2="${sy(v)}" stroke="#ddd"/>`,
    );
  }
  const ticks =
    o.xTicks ?? [...new Set(xs)].sort((a, b) => a - b).map((x) => ({ x, label: fmt(x) }));
  const every = Math.max(1, Math.ceil(ticks.length / 10));
  ticks.forEach((t, i) => {
    if (i % every === 0)
      parts.push(
        `<text x="${sx(t.x)}" y="${m.top + ph + 14}" text-anchor="middle" font-size="10">${escapeHtml(t.label)}</text>`,
      );
  });
  parts.push(
    `<text x="${m.left + pw / 2}" y="${height - 6}" text-anchor="middle" font-size="11">${escapeHtml(o.xLabel)}</text>`,
    `<text x="12" y="${m.top + ph / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 12 ${m.top + ph / 2})">${escapeHtml(o.yLabel)}</text>`,
  );
  const barSeries = series.filter((s) => s.bars);
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    if (s.bars) {
      const k = barSeries.indexOf(s);
      const bw = (slot * 0.8) / barSeries.length;
      for (const [x, y] of s.points)
        parts.push(
          `<rect x="${sx(x) - slot * 0.4 + k * bw}" y="${Math.min(sy(y), sy(0))}" width="${bw}" height="${Math.abs(sy(0) - sy(y))}" fill="${colour}"/>`,
        );
    } else if (s.points.length > 0) {
      const d = [...s.points]
        .sort((a, b) => a[0] - b[0])
        .map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
        .join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
      for (const [x, y] of s.points)
        parts.push(
          `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${colour}"/>`,
        );
    }
    const lx = m.left + 8 + i * 180;
    parts.push(
      `<rect x="${lx}" y="${m.top - 4}" width="10" height="10" fill="${colour}"/>`,
      `<text x="${lx + 14}" y="${m.top + 5}" font-size="10">${escapeHtml(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/**
 * Printable reports: one HTML page per report with its charts as inline SVG, no script, no
 * external resource (the PDF is this page printed by headless Chromium). Every figure is written
 * exactly as the JSON has it, so a reader of the PDF and a program reading the JSON agree.
 * A vendor's report holds only that vendor's models and route-wide aggregates (the median); a
 * trial's holds group figures only.
 */

import type { TrialReport } from './loadTrialReport.ts';
import type { VendorReport } from './loadVendorReport.ts';
import { chart, escapeHtml } from './svg.ts';
import type { ModelReport } from './vendorReport.ts';

/** A figure as printed: the JSON's number, or n/a. */
export const figure = (v: number | null | undefined, unit = '') =>
  v === null || v === undefined ? 'n/a' : `${v}${unit}`;

const day = (t: number) => new Date(t).toISOString().replace('T', ' ').slice(0, 16);

const STYLE = `body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:11px;margin:24px;color:#111}
h1{font-size:18px;margin:0 0 4px}h2{font-size:14px;margin:18px 0 6px;break-after:avoid}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #bbb;padding:2px 6px;text-align:left}
.meta{color:#333}.model{break-inside:avoid}svg{display:block;margin:6px 0}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

function rows(pairs: readonly [string, string][]): string {
  return `<table>${pairs.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

export const VENDOR_METHOD =
  'Energy per lamp-night from the lamps’ cumulative energy counters over noon-to-noon UTC nights. Dimming curve: mean active power of the readings in minutes in which the actual level equalled the commanded level throughout and every minute of the 10 before, with readings, held it too (steady state), at levels within 1 % of each point. Availability: 10-minute slots with at least one reading, of those from the first report of the vendor’s lamps up to now. Command response: from each command’s issue time to the lamp’s first stored acknowledgement. Power creep (constant-light-output drivers): least-squares slope of steady power at the most common level against operating hours.';

export const VENDOR_CAVEATS = [
  'Route median: the median of every lamp’s mean kWh per night on the route; no other vendor’s figures are shown.',
  'Acknowledgement times are the lamps’ clocks; a lamp with a wrong clock skews its own response times.',
  'The night under way counts only so far; nights without readings are left out.',
];

function modelSection(m: ModelReport): string {
  const curve = m.dimmingCurve.filter((c) => c.powerW !== null);
  const nights = m.nights.map((n, i) => [i, n.kWhPerLamp] as const);
  const median = m.routeMedianKWhPerLampPerNight;
  return `<section class="model"><h2>${escapeHtml(m.modelName)} (${escapeHtml(m.modelId)}), ${m.lamps} lamps</h2>${rows(
    [
      ['kWh per lamp-night', `${figure(m.kWhPerLampPerNight)} (${m.energyBasis})`],
      ['route median kWh per lamp-night', figure(median)],
      ['deviation from route median', figure(m.deviationFromRouteMedianPct, ' %')],
      [
        'availability',
        `${figure(m.availabilityPct, ' %')} (${m.availability.bucketsWithData} of ${m.availability.bucketsExpected} 10-minute slots)`,
      ],
      [
        'operating hours',
        `${figure(m.operatingHours)} (per lamp ${figure(m.operatingHoursPerLamp)})`,
      ],
      ['switch-ons', `${figure(m.switchOns)} (per lamp ${figure(m.switchOnsPerLamp)})`],
      ['failures', `${m.failures} (per 1,000 h ${figure(m.failuresPer1000h)})`],
      [
        'failures by type per 1,000 h',
        m.failuresByType.map((f) => `${f.type} ${f.count} (${figure(f.per1000h)})`).join(', ') ||
          'none',
      ],
      [
        'power creep',
        m.powerCreep
          ? `${figure(m.powerCreep.wPer1000h, ' W')} per 1,000 h at ${figure(m.powerCreep.atLevel, ' %')} (${m.powerCreep.samples} lamp-hours)`
          : 'not a constant-light-output driver',
      ],
      ['lux per watt', `${figure(m.luxPerWatt.value)} (${m.luxPerWatt.samples} readings)`],
      [
        'command response',
        `p50 ${figure(m.commandResponseMs.p50, ' ms')}, p95 ${figure(m.commandResponseMs.p95, ' ms')} (${m.commandResponseMs.samples} acks)`,
      ],
    ],
  )}<table><tr><th>level %</th>${m.dimmingCurve.map((c) => `<td>${c.level}</td>`).join('')}</tr><tr><th>power W</th>${m.dimmingCurve
    .map((c) => `<td>${figure(c.powerW)}</td>`)
    .join(
      '',
    )}</tr><tr><th>readings</th>${m.dimmingCurve.map((c) => `<td>${c.samples}</td>`).join('')}</tr></table>${chart(
    [{ name: 'steady-state power', points: curve.map((c) => [c.level, c.powerW ?? 0] as const) }],
    { title: 'Dimming curve', xLabel: 'commanded level, %', yLabel: 'W' },
  )}${chart(
    [
      { name: 'kWh per lamp', points: nights, bars: true },
      ...(median === null
        ? []
        : [{ name: 'route median', points: nights.map(([i]) => [i, median] as const) }]),
    ],
    {
      title: 'Energy per lamp-night',
      xLabel: 'night',
      yLabel: 'kWh',
      xTicks: m.nights.map((n, i) => ({ x: i, label: n.night })),
    },
  )}</section>`;
}

export function vendorReportHtml(r: VendorReport, route: string): string {
  const title = `Vendor report: ${r.vendor.name}`;
  const body = `<h1>${escapeHtml(title)}</h1><p class="meta">Route: ${escapeHtml(route)}<br>Period: ${escapeHtml(day(r.from))} to ${escapeHtml(day(r.to))} UTC, nights ${escapeHtml(r.nightsReported.join(', ') || 'none with data')}<br>Generated ${escapeHtml(day(r.generatedAt))} UTC</p><h2>Method</h2><p>${escapeHtml(VENDOR_METHOD)}</p><h2>Caveats</h2><ul>${VENDOR_CAVEATS.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>${r.models.map(modelSection).join('')}`;
  return page(title, body);
}

export function trialReportHtml(r: TrialReport): string {
  const c = r.comparison;
  const title = `Trial: ${r.trial.name}`;
  const ci = (x: { low: number; high: number } | null, unit: string) =>
    x ? `${x.low}${unit} to ${x.high}${unit}` : 'n/a';
  const perNight = (key: 'testKWhPerLamp' | 'controlKWhPerLamp') =>
    c.nights.flatMap((n, i) => (n[key] === null ? [] : [[i, n[key] as number] as const]));
  const body = `<h1>${escapeHtml(title)}</h1><p class="meta">Route: ${escapeHtml(r.route)}<br>Period: nights ${escapeHtml(r.trial.fromNight)} to ${escapeHtml(r.trial.toNight)} (${r.nights.length} finished)<br>Generated ${escapeHtml(day(r.generatedAt))} UTC</p>${rows(
    [
      ['conclusion', c.conclusion],
      ['difference, kWh per lamp-night (test minus control)', figure(c.differenceKWh)],
      ['95 % interval, kWh per lamp-night', ci(c.ci95KWh, '')],
      ['difference', figure(c.differencePct, ' %')],
      ['95 % interval', ci(c.ci95Pct, ' %')],
      [
        'test group',
        `${c.test.lamps} lamps, ${c.test.lampNights} lamp-nights, ${figure(c.test.kWhPerLampNight)} kWh per lamp-night`,
      ],
      [
        'control group',
        `${c.control.lamps} lamps, ${c.control.lampNights} lamp-nights, ${figure(c.control.kWhPerLampNight)} kWh per lamp-night`,
      ],
      [
        'matched',
        `${c.matched.testLampNights} test and ${c.matched.controlLampNights} control lamp-nights in ${c.matched.strata} strata`,
      ],
      ['bootstrap', `${c.bootstrap.resamples} resamples, seed ${c.bootstrap.seed}`],
    ],
  )}${chart(
    [
      { name: 'test', points: perNight('testKWhPerLamp') },
      { name: 'control', points: perNight('controlKWhPerLamp') },
    ],
    {
      title: 'Energy per lamp-night',
      xLabel: 'night',
      yLabel: 'kWh',
      xTicks: c.nights.map((n, i) => ({ x: i, label: n.night })),
    },
  )}<h2>Method</h2><p>${escapeHtml(r.method)}</p><h2>Caveats</h2><ul>${r.caveats.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul>`;
  return page(title, body);
}

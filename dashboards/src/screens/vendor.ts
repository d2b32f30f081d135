/**
 * The vendor view (`#/vendor?vendor=<id>&nights=7`): a vendor's lamps on the route and their
 * report per luminaire model (energy per night against the route median, measured dimming
 * curve, availability, failures, command response) with a CSV download. A vendor sees only
 * their own (the gateway scopes every answer); other roles pick the vendor.
 */
import type { VendorReportResponse, VendorsResponse } from '../../../services/gateway/responses.ts';
import { el, field, fmt, setText } from '../app/dom.ts';
import { type Route, routeHash } from '../app/router.ts';
import type { ScreenFactory } from '../app/screen.ts';
import { dimmingChart, modelChart } from '../charts/dimmingCurves.ts';
import type { TimeChart } from '../charts/timeChart.ts';
import { ONLINE } from '../live/LiveTable.ts';
import { dataTable } from '../ui/dataTable.ts';
import { download } from '../ui/download.ts';
import { errorText, fill } from '../ui/load.ts';

type ModelReport = VendorReportResponse['models'][number];
const LAMPS_EVERY_MS = 5_000;
const pct = (v: number | null) => (v === null ? '–' : `${v > 0 ? '+' : ''}${fmt(v, 1)} %`);

function nightsChart(models: readonly ModelReport[], window: [number, number]): TimeChart {
  return modelChart(
    { title: 'Energy per lamp per night, kWh', unit: 'kWh', digits: 3, height: 200 },
    models,
    (m) => m.nights.map((n) => [Date.parse(`${n.night}T12:00:00Z`), n.kWhPerLamp]),
    window,
  );
}

const screen: ScreenFactory = ({ app, route, signal }) => {
  const own = app.session.value?.vendorId;
  const table = app.live.table;
  const charts: TimeChart[] = [];
  signal.addEventListener('abort', () => {
    for (const c of charts) c.destroy();
  });

  const picker = el('select', { name: 'vendor', disabled: own !== undefined });
  const nights = el(
    'select',
    { name: 'nights' },
    ...[7, 14, 31].map((n) => el('option', { value: n }, `${n} nights`)),
  );
  const csv = el('button', { type: 'button', id: 'vendor-csv' }, 'Download CSV');
  const csvNote = el('span', { class: 'hint', 'aria-live': 'polite' });
  const controls = el(
    'div',
    { class: 'row' },
    field('Vendor', picker),
    field('Report over', nights),
    csv,
    csvNote,
  );
  const lampsBox = el('div', { id: 'vendor-lamps' });
  const reportBox = el('div', { id: 'vendor-report' });
  const heading = el('h1', {}, 'Vendor report');

  let vendorId = '';
  let nightCount = 7;

  function renderLamps(): void {
    const code = table.vendors.indexOf(vendorId);
    const rows: { model: string; lamps: number; online: number; segments: Set<string> }[] = [];
    const byModel = new Map<string, (typeof rows)[number]>();
    for (let i = 0; i < table.size; i++) {
      if (table.vendor[i] !== code) continue;
      const model = table.models[table.model[i]!] ?? '';
      let r = byModel.get(model);
      if (!r) {
        r = { model, lamps: 0, online: 0, segments: new Set() };
        byModel.set(model, r);
        rows.push(r);
      }
      r.lamps += 1;
      if (table.status[i] === ONLINE) r.online += 1;
      r.segments.add(table.segments[table.segment[i]!] ?? '');
    }
    const ids = table.ids.filter((_, i) => table.vendor[i] === code);
    lampsBox.replaceChildren(
      el('p', {}, `${fmt(ids.length)} lamps on the route`),
      dataTable(
        'Lamps by model',
        [
          { header: 'Model', cell: (r) => r.model },
          { header: 'Lamps', cell: (r) => fmt(r.lamps), numeric: true },
          { header: 'Online now', cell: (r) => fmt(r.online), numeric: true },
          { header: 'Segments', cell: (r) => [...r.segments].sort().join(', ') },
        ],
        rows,
        { empty: 'No lamps of this vendor' },
      ),
      el(
        'p',
        { class: 'lamp-links' },
        ...ids
          .slice(0, 60)
          .flatMap((id, k) => [
            k > 0 ? ' ' : '',
            el('a', { href: routeHash('lamp', id), 'data-lamp': id }, id),
          ]),
        ids.length > 60 ? ` and ${ids.length - 60} more` : '',
      ),
    );
  }

  function loadReport(): void {
    for (const c of charts.splice(0)) c.destroy();
    void fill(
      reportBox,
      async () => {
        const r = await app.api.get<VendorReportResponse>(
          `/api/reports/vendor/${encodeURIComponent(vendorId)}?nights=${nightCount}`,
          signal,
        );
        setText(heading, `Vendor report: ${r.vendor.name}`);
        const withData = r.models.filter((m) => m.lamps > 0);
        const night = nightsChart(withData, [r.from, r.to]);
        const curve = dimmingChart('Measured dimming curve: power against level', withData);
        charts.push(night, curve);
        if (curve.element.dataset.models === '0')
          curve.element.append(
            el('p', { class: 'hint' }, 'No dimming measurements in these nights yet.'),
          );
        return [
          el(
            'p',
            { class: 'hint' },
            `${r.nights} nights, ${new Date(r.from).toISOString().slice(0, 10)} to ${new Date(r.to).toISOString().slice(0, 10)}`,
          ),
          dataTable(
            'Per model',
            [
              { header: 'Model', cell: (m) => m.modelName },
              { header: 'Lamps', cell: (m) => m.lamps, numeric: true },
              {
                header: 'kWh per lamp per night',
                cell: (m) => fmt(m.kWhPerLampPerNight, 3),
                numeric: true,
              },
              {
                header: 'Route median',
                cell: (m) => fmt(m.routeMedianKWhPerLampPerNight, 3),
                numeric: true,
              },
              {
                header: 'Against median',
                cell: (m) => pct(m.deviationFromRouteMedianPct),
                numeric: true,
              },
              {
                header: 'Availability',
                cell: (m) => fmt(m.availabilityPct, 1, '%'),
                numeric: true,
              },
              { header: 'Failures', cell: (m) => m.failures, numeric: true },
              {
                header: 'Command response p50 / p95',
                cell: (m) =>
                  m.commandResponseMs.samples > 0
                    ? `${fmt(m.commandResponseMs.p50)} / ${fmt(m.commandResponseMs.p95)} ms`
                    : '–',
                numeric: true,
              },
            ],
            r.models,
            { empty: 'No models' },
          ),
          el('div', { class: 'grid-2' }, night.element, curve.element),
        ];
      },
      signal,
    );
  }

  csv.addEventListener(
    'click',
    () => {
      setText(csvNote, 'Preparing…');
      download(
        `/api/reports/vendor/${encodeURIComponent(vendorId)}?nights=${nightCount}&format=csv`,
        `gadelys-${vendorId}.csv`,
      )
        .then((name) => setText(csvNote, `Saved ${name}`))
        .catch((err: unknown) => setText(csvNote, errorText(err)));
    },
    { signal },
  );
  const go = () =>
    app.navigate(routeHash('vendor', { vendor: picker.value, nights: nights.value }));
  picker.addEventListener('change', go, { signal });
  nights.addEventListener('change', go, { signal });

  function open(r: Route): void {
    const wanted = own ?? r.query.get('vendor') ?? picker.value;
    const n = Number(r.query.get('nights') ?? 7);
    const nextNights = [7, 14, 31].includes(n) ? n : 7;
    if (wanted === vendorId && nextNights === nightCount && reportBox.childElementCount > 0) return;
    vendorId = wanted;
    nightCount = nextNights;
    picker.value = vendorId;
    nights.value = String(nightCount);
    if (!vendorId) return;
    renderLamps();
    loadReport();
  }

  void (async () => {
    try {
      const v = await app.api.get<VendorsResponse>('/api/vendors', signal);
      const list = v.vendors.filter((x) => x.lampCount > 0);
      picker.replaceChildren(
        ...list.map((x) => el('option', { value: x.id }, `${x.name} (${x.lampCount})`)),
      );
      if (!own && !route.query.get('vendor') && list[0]) picker.value = list[0].id;
      open(route);
    } catch (err) {
      reportBox.replaceChildren(el('p', { class: 'error' }, errorText(err)));
    }
  })();
  // online counts follow the live table, redrawn at most every few seconds
  let lastLamps = 0;
  app.live.changed.subscribe(() => {
    if (!vendorId || performance.now() - lastLamps < LAMPS_EVERY_MS) return;
    lastLamps = performance.now();
    renderLamps();
  }, signal);

  const element = el(
    'div',
    { class: 'screen vendor' },
    heading,
    controls,
    el('section', { class: 'card', 'aria-label': 'Lamps' }, el('h2', {}, 'Lamps'), lampsBox),
    el('section', { class: 'card', 'aria-label': 'Report' }, el('h2', {}, 'Report'), reportBox),
  );
  return { element, title: 'Vendor report', update: open };
};
export default screen;

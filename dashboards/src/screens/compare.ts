/**
 * Comparisons (`#/compare?night=YYYY-MM-DD&vendors=a,b`): a night's energy by segment and by
 * vendor (total and per lamp), and the measured dimming curves of the chosen vendors' models
 * side by side. A vendor compares only their own (the gateway scopes every answer).
 */
import type {
  EnergyResponse,
  ModelReport,
  VendorReportResponse,
  VendorsResponse,
} from '../../../services/gateway/responses.ts';
import { el, field, fmt } from '../app/dom.ts';
import { type Route, routeHash } from '../app/router.ts';
import type { ScreenFactory } from '../app/screen.ts';
import { dimmingChart } from '../charts/dimmingCurves.ts';
import type { TimeChart } from '../charts/timeChart.ts';
import { type Bar, bars } from '../ui/bars.ts';
import { fill } from '../ui/load.ts';
import { isNight, nightOf, previousNight } from '../ui/time.ts';

const DEFAULT_VENDORS = 3;
const MAX_VENDORS = 6;

const screen: ScreenFactory = ({ app, route, signal }) => {
  const table = app.live.table;
  const own = app.session.value?.vendorId;
  let chart: TimeChart | undefined;
  signal.addEventListener('abort', () => chart?.destroy());

  const nightInput = el('input', { type: 'date', name: 'night', max: nightOf(Date.now()) });
  const nightForm = el(
    'form',
    { class: 'row' },
    field('Night of', nightInput),
    el('button', { type: 'submit' }, 'Show'),
  );
  const segmentBox = el('div', { id: 'energy-segments' });
  const vendorBox = el('div', { id: 'energy-vendors' });
  const vendorChoices = el(
    'fieldset',
    { class: 'vendor-choices' },
    el('legend', {}, 'Vendors to compare'),
  );
  const curveBox = el('div', { id: 'dimming-curves' });
  const compareButton = el('button', { type: 'button' }, 'Compare');

  let night = '';
  let vendors: VendorsResponse['vendors'] = [];
  let chosen: string[] = [];

  /** Lamps per segment or vendor, from the registry the page holds. */
  function lampCounts(kind: 'segment' | 'vendor'): Map<string, number> {
    const codes = kind === 'segment' ? table.segment : table.vendor;
    const names = kind === 'segment' ? table.segments : table.vendors;
    const out = new Map<string, number>();
    for (let i = 0; i < table.size; i++) {
      const name = names[codes[i]!] ?? '';
      out.set(name, (out.get(name) ?? 0) + 1);
    }
    return out;
  }

  function energy(groupBy: 'segment' | 'vendor', into: HTMLElement, label: string): void {
    void fill(
      into,
      async () => {
        const r = await app.api.get<EnergyResponse>(
          `/api/energy?groupBy=${groupBy}&night=${encodeURIComponent(night)}`,
          signal,
        );
        const counts = lampCounts(groupBy);
        const rows: Bar[] = r.rows
          .map((x) => {
            const n = counts.get(x.key) ?? 0;
            return {
              label: x.key,
              value: x.kWh,
              note: n > 0 ? `${fmt(x.kWh / n, 3)} per lamp (${n})` : '',
            };
          })
          .sort((a, b) =>
            groupBy === 'segment' ? a.label.localeCompare(b.label) : b.value - a.value,
          );
        const total = rows.reduce((s, x) => s + x.value, 0);
        return [
          bars(label, rows, 'kWh', 2),
          el('p', { class: 'hint' }, `Total ${fmt(total, 2, 'kWh')}`),
        ];
      },
      signal,
    );
  }

  function curves(): void {
    chart?.destroy();
    chart = undefined;
    void fill(
      curveBox,
      async () => {
        const reports = await Promise.all(
          chosen.map((v) =>
            app.api.get<VendorReportResponse>(
              `/api/reports/vendor/${encodeURIComponent(v)}?nights=7`,
              signal,
            ),
          ),
        );
        const models: ModelReport[] = reports.flatMap((r) =>
          r.models.map((m) => ({ ...m, modelName: `${r.vendor.name}: ${m.modelName}` })),
        );
        chart = dimmingChart('Power against level, per model (last 7 nights)', models);
        const none = chart.element.dataset.models === '0';
        return [
          chart.element,
          ...(none
            ? [el('p', { class: 'hint' }, 'No dimming measurements in these nights yet.')]
            : []),
        ];
      },
      signal,
    );
  }

  function renderChoices(): void {
    vendorChoices.replaceChildren(el('legend', {}, 'Vendors to compare'));
    for (const v of vendors) {
      const box = el('input', {
        type: 'checkbox',
        name: 'vendors',
        value: v.id,
        id: `cmp-${v.id}`,
      });
      box.checked = chosen.includes(v.id);
      box.disabled = own !== undefined;
      vendorChoices.append(
        el('span', { class: 'check' }, box, el('label', { for: box.id }, v.name)),
      );
    }
  }

  function navigate(): void {
    const picked = Array.from(vendorChoices.querySelectorAll<HTMLInputElement>('input:checked'))
      .map((b) => b.value)
      .slice(0, MAX_VENDORS);
    app.navigate(
      routeHash('compare', { night: nightInput.value || night, vendors: picked.join(',') }),
    );
  }
  nightForm.addEventListener(
    'submit',
    (e) => {
      e.preventDefault();
      navigate();
    },
    { signal },
  );
  compareButton.addEventListener('click', navigate, { signal });

  function open(r: Route): void {
    const q = r.query.get('night');
    const n = isNight(q) ? q : previousNight(nightOf(Date.now()));
    if (n !== night) {
      night = n;
      nightInput.value = n;
      energy('segment', segmentBox, 'Energy by segment');
      energy('vendor', vendorBox, 'Energy by vendor');
    }
    const asked = (r.query.get('vendors') ?? '')
      .split(',')
      .filter((v) => vendors.some((x) => x.id === v));
    const next = own
      ? [own]
      : asked.length > 0
        ? asked
        : vendors.slice(0, DEFAULT_VENDORS).map((v) => v.id);
    if (next.join(',') !== chosen.join(',')) {
      chosen = next;
      renderChoices();
      curves();
    }
  }

  void (async () => {
    try {
      vendors = (await app.api.get<VendorsResponse>('/api/vendors', signal)).vendors.filter(
        (v) => v.lampCount > 0,
      );
    } catch {
      vendors = [];
    }
    open(route);
  })();

  const element = el(
    'div',
    { class: 'screen compare' },
    el('div', { class: 'screen-head' }, el('h1', {}, 'Comparisons'), nightForm),
    el(
      'div',
      { class: 'grid-2' },
      el(
        'section',
        { class: 'card', 'aria-labelledby': 'seg-title' },
        el('h2', { id: 'seg-title' }, 'Energy per segment'),
        segmentBox,
      ),
      el(
        'section',
        { class: 'card', 'aria-labelledby': 'ven-title' },
        el('h2', { id: 'ven-title' }, 'Energy per vendor'),
        vendorBox,
      ),
    ),
    el(
      'section',
      { class: 'card', 'aria-labelledby': 'curve-title' },
      el('h2', { id: 'curve-title' }, 'Measured dimming curves'),
      vendorChoices,
      compareButton,
      curveBox,
    ),
  );
  return { element, title: 'Comparisons', update: open };
};
export default screen;

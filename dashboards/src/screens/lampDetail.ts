/**
 * One lamp (`#/lamp/<id>?range=night|7d|30d|1y`): its live values and a live chart fed by the
 * live table, history for the chosen range from storage, burning hours and power creep over
 * the last year, its events, alarms, program, and the commands sent to it with their acks.
 */
import type {
  AlarmHistoryResponse,
  CommandDetailResponse,
  CommandsResponse,
  EventsResponse,
  LampResponse,
  ProgramsResponse,
} from '../../../services/gateway/responses.ts';
import { el, fmt, setText } from '../app/dom.ts';
import { type Route, routeHash } from '../app/router.ts';
import type { App, ScreenFactory } from '../app/screen.ts';
import { frameScheduler } from '../app/store.ts';
import { lampHistory } from '../charts/history.ts';
import { type SeriesSpec, TimeChart } from '../charts/timeChart.ts';
import { dataTable } from '../ui/dataTable.ts';
import { lampValueRows } from '../ui/lampValues.ts';
import { fill } from '../ui/load.ts';
import { radioGroup } from '../ui/radioGroup.ts';
import { DAY, dateTime, nightOf, nightWindow } from '../ui/time.ts';

export const RANGES = {
  night: { label: 'Night', bucketMs: 60_000 },
  '7d': { label: '7 days', bucketMs: 15 * 60_000 },
  '30d': { label: '30 days', bucketMs: 3_600_000 },
  '1y': { label: 'A year', bucketMs: DAY },
} as const;
export type RangeKey = keyof typeof RANGES;

export function rangeOf(q: URLSearchParams): RangeKey {
  const r = q.get('range');
  return r !== null && r in RANGES ? (r as RangeKey) : 'night';
}

/** The window a range covers, ending now (the night: noon to noon UTC around it). */
export function rangeWindow(range: RangeKey, now: number): { from: number; to: number } {
  if (range === 'night') return nightWindow(nightOf(now));
  const days = range === '7d' ? 7 : range === '30d' ? 30 : 365;
  return { from: now - days * DAY, to: now };
}

const LIVE_POINTS = 900;
const COLOURS = { level: '#c07a00', power: '#0b63c5', voltage: '#7b3fb5', lux: '#1e7a3c' };
const LIVE_SERIES: SeriesSpec[] = [
  { label: 'Level', unit: '%', colour: COLOURS.level, digits: 0 },
  { label: 'Power', unit: 'W', colour: COLOURS.power },
  { label: 'Voltage', unit: 'V', colour: COLOURS.voltage },
  { label: 'Light', unit: 'lx', colour: COLOURS.lux },
];
/** The live charts start with this much stored history, so they open with context. */
const LIVE_SEED_MS = 10 * 60_000;
const NIGHT_REFRESH_MS = 60_000;

interface Built {
  element: HTMLElement;
  setRange(range: RangeKey): void;
}

function build(app: App, id: string, initial: RangeKey, signal: AbortSignal): Built {
  const table = app.live.table;
  let range = initial;

  // ---- live values and chart ----
  const facts = el('dl', { class: 'facts', id: 'lamp-facts' });
  const liveChart = new TimeChart({
    title: 'Live: level and power',
    series: LIVE_SERIES.slice(0, 2),
    ranges: { '%': [0, 100] },
    height: 180,
  });
  liveChart.element.id = 'live-chart';
  const supplyChart = new TimeChart({
    title: 'Live: voltage and light',
    series: LIVE_SERIES.slice(2),
    height: 150,
  });
  const liveX: number[] = [];
  const liveY: (number | null)[][] = LIVE_SERIES.map(() => []);
  let lastTs = Number.NaN;
  const chartFrame = frameScheduler(() => {
    liveChart.setData([liveX, liveY[0]!, liveY[1]!]);
    supplyChart.setData([liveX, liveY[2]!, liveY[3]!]);
  });
  async function seedLive(): Promise<void> {
    const to = Date.now();
    try {
      const [xs, ...ys] = await lampHistory(
        app.api,
        id,
        [
          { field: 'actualLevel', agg: 'last' },
          { field: 'activePower', agg: 'last' },
          { field: 'supplyVoltage', agg: 'last' },
          { field: 'illuminance', agg: 'last' },
        ],
        { from: to - LIVE_SEED_MS, to, bucketMs: 5_000 },
        signal,
      );
      // stored buckets before the first live reading, then the live ones
      const first = liveX[0] ?? Number.POSITIVE_INFINITY;
      const keep = xs.filter((t) => t < first).length;
      liveX.unshift(...xs.slice(0, keep));
      for (const [k, col] of liveY.entries()) col.unshift(...(ys[k] ?? []).slice(0, keep));
      chartFrame.request();
    } catch {
      // the live readings still fill the charts
    }
  }
  function renderLive(): void {
    const i = table.indexOf.get(id);
    if (i === undefined) {
      facts.replaceChildren(
        el('dt', {}, 'Not found'),
        el('dd', {}, 'no lamp with this id that you may see'),
      );
      return;
    }
    const r = table.row(i);
    const rows: [string, string][] = [
      ['Segment', r.segmentId],
      ['Vendor', r.vendorId],
      ['Model', r.modelId],
      ...lampValueRows(r, dateTime),
    ];
    facts.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
    if (Number.isNaN(r.ts) || r.ts === lastTs) return;
    lastTs = r.ts;
    const values = [r.level, r.power, r.voltage, r.lux];
    liveX.push(r.ts);
    for (const [k, v] of values.entries()) liveY[k]?.push(Number.isNaN(v) ? null : v);
    if (liveX.length > LIVE_POINTS) for (const col of [liveX, ...liveY]) col.shift();
    chartFrame.request();
  }
  app.live.changed.subscribe(renderLive, signal);

  // ---- history by range ----
  const rangeGroup = radioGroup<RangeKey>(
    'range',
    'History range',
    (Object.keys(RANGES) as RangeKey[]).map((k) => [k, RANGES[k].label] as const),
    range,
    (key) => app.navigate(routeHash('lamp', id, { range: key })),
    signal,
  );
  const historyChart = new TimeChart({
    title: 'History: level and power',
    series: [
      { label: 'Level', unit: '%', colour: COLOURS.level, digits: 0 },
      { label: 'Power', unit: 'W', colour: COLOURS.power },
    ],
    ranges: { '%': [0, 100] },
  });
  historyChart.element.id = 'history-chart';
  const historyNote = el('p', { class: 'hint', 'aria-live': 'polite' });

  async function loadHistory(): Promise<void> {
    rangeGroup.set(range);
    const { bucketMs } = RANGES[range];
    const w = rangeWindow(range, Date.now());
    setText(historyNote, `Loading ${RANGES[range].label.toLowerCase()}…`);
    try {
      const cols = await lampHistory(
        app.api,
        id,
        [{ field: 'actualLevel' }, { field: 'activePower' }],
        { ...w, bucketMs },
        signal,
      );
      if (signal.aborted) return;
      historyChart.setData(cols, [w.from, w.to]);
      historyChart.element.dataset.range = range;
      setText(
        historyNote,
        `${cols[0].length} buckets of ${fmt(bucketMs / 60_000)} min, ${dateTime(w.from)} to ${dateTime(w.to)}`,
      );
    } catch (err) {
      if (!signal.aborted) setText(historyNote, `History unavailable: ${String(err)}`);
    }
  }

  // ---- burning hours and power creep over the last year ----
  const lifeChart = new TimeChart({
    title: 'Burning hours and power at full level, per day',
    series: [
      { label: 'Burning hours', unit: 'h', colour: '#5b6773', digits: 0 },
      { label: 'Power at full level', unit: 'W', colour: COLOURS.power },
    ],
    height: 180,
  });
  const lifeNote = el('p', { class: 'hint' });
  async function loadLife(): Promise<void> {
    const to = Date.now();
    try {
      const cols = await lampHistory(
        app.api,
        id,
        // A constant-light-output driver raises its power as the LEDs age: the day's highest
        // power is the lamp at full level, so its trend is the creep.
        [
          { field: 'operatingHours', agg: 'last' },
          { field: 'activePower', agg: 'max' },
        ],
        { from: to - 365 * DAY, to, bucketMs: DAY },
        signal,
      );
      lifeChart.setData(cols, [to - 365 * DAY, to]);
      const power = cols[2]!.filter((v): v is number => v !== null);
      const first = power[0];
      const last = power[power.length - 1];
      setText(
        lifeNote,
        first !== undefined && last !== undefined && first > 0
          ? `Power at full level ${fmt(first, 1, 'W')} then ${fmt(last, 1, 'W')} (${fmt(((last - first) / first) * 100, 1, '%')}) over ${power.length} days`
          : 'Not enough days stored for a trend yet.',
      );
    } catch (err) {
      if (!signal.aborted) setText(lifeNote, `Unavailable: ${String(err)}`);
    }
  }

  // ---- events, alarms, program, commands ----
  const q = `lampIds=${encodeURIComponent(id)}`;
  const eventsBox = el('div');
  const alarmsBox = el('div');
  const programBox = el('div');
  const commandsBox = el('div');
  const since = Date.now() - 30 * DAY;
  void fill(
    eventsBox,
    async () => {
      const r = await app.api.get<EventsResponse>(
        `/api/events?${q}&from=${since}&limit=200`,
        signal,
      );
      return dataTable(
        'Events, last 30 days',
        [
          { header: 'Time', cell: (e) => dateTime(e.ts) },
          { header: 'Event', cell: (e) => e.type },
          { header: 'State', cell: (e) => (e.active ? 'started' : 'ended') },
          { header: 'Value', cell: (e) => fmt(e.value, 1), numeric: true },
          { header: 'Detail', cell: (e) => e.detail ?? '' },
        ],
        [...r.events].sort((a, b) => b.ts - a.ts),
        { empty: 'No events' },
      );
    },
    signal,
  );
  void fill(
    alarmsBox,
    async () => {
      const r = await app.api.get<AlarmHistoryResponse>(
        `/api/alarms/history?${q}&from=${since}`,
        signal,
      );
      return dataTable(
        'Alarms, last 30 days',
        [
          { header: 'Time', cell: (a) => dateTime(a.ts) },
          { header: 'Alarm', cell: (a) => a.type },
          { header: 'State', cell: (a) => a.state },
          { header: 'Severity', cell: (a) => a.severity },
          { header: 'Detail', cell: (a) => a.detail },
        ],
        [...r.alarms].sort((a, b) => b.ts - a.ts),
        { empty: 'No alarms' },
      );
    },
    signal,
  );
  void fill(
    programBox,
    async () => {
      const [lamp, programs] = await Promise.all([
        app.api.get<LampResponse>(`/api/lamps/${encodeURIComponent(id)}`, signal),
        app.api.get<ProgramsResponse>('/api/programs', signal),
      ]);
      const p = programs.programs.find((x) => x.id === lamp.programId);
      const steps = p?.steps.map((s) => {
        const at =
          s.at.kind === 'fixed'
            ? s.at.time
            : `${s.at.event}${s.at.offsetMin ? ` ${s.at.offsetMin > 0 ? '+' : ''}${s.at.offsetMin} min` : ''}`;
        return el('li', {}, `${at}: ${s.level} %`);
      });
      return [
        el(
          'p',
          { id: 'lamp-program' },
          el(
            'a',
            { href: routeHash('programs', { program: lamp.programId }) },
            p?.name ?? lamp.programId,
          ),
          p?.isDefault ? ' (the lab’s default)' : '',
          p?.presence
            ? ` · presence-adaptive to ${p.presence.level} %, held ${p.presence.holdS} s`
            : '',
        ),
        el('ol', { class: 'steps' }, ...(steps ?? [])),
        el(
          'p',
          { class: 'hint' },
          `Pole ${fmt(lamp.lamp.poleHeightM, 1, 'm')}, ${fmt(lamp.lamp.distanceM)} m along the route`,
        ),
      ];
    },
    signal,
  );
  async function loadCommands(): Promise<Node> {
    const list = await app.api.get<CommandsResponse>(
      `/api/commands?lampId=${encodeURIComponent(id)}&limit=10`,
      signal,
    );
    const details = await Promise.all(
      list.commands.map((c) =>
        app.api
          .get<CommandDetailResponse>(`/api/commands/${encodeURIComponent(c.commandId)}`, signal)
          .then((d) => d.lamps.find((l) => l.lampId === id))
          .catch(() => undefined),
      ),
    );
    const rows = list.commands.map((c, k) => ({ c, mine: details[k] }));
    return dataTable(
      'Commands sent to this lamp (newest first)',
      [
        { header: 'Issued', cell: ({ c }) => dateTime(c.issuedAt) },
        {
          header: 'Command',
          cell: ({ c }) => (c.type === 'override' ? `override ${c.level ?? ''} %` : c.type),
        },
        { header: 'By', cell: ({ c }) => c.issuedBy },
        { header: 'This lamp', cell: ({ mine }) => mine?.state ?? '–' },
        { header: 'Round trip', cell: ({ mine }) => fmt(mine?.rttMs, 0, 'ms'), numeric: true },
        {
          header: 'Whole command',
          cell: ({ c }) => `${c.status} (${c.counts.acked}/${c.lampCount} acked)`,
        },
      ],
      rows,
      {
        empty: 'No commands sent to this lamp',
        rowAttrs: ({ c }) => ({ 'data-command': c.commandId }),
      },
    );
  }
  void fill(commandsBox, loadCommands, signal);

  signal.addEventListener('abort', () => {
    chartFrame.cancel();
    liveChart.destroy();
    supplyChart.destroy();
    historyChart.destroy();
    lifeChart.destroy();
  });
  // tonight's history grows while the screen is open
  const refresh = setInterval(() => {
    if (range === 'night') void loadHistory();
  }, NIGHT_REFRESH_MS);
  signal.addEventListener('abort', () => clearInterval(refresh));
  renderLive();
  void seedLive();
  void loadHistory();
  void loadLife();

  const section = (title: string, idPart: string, ...body: Node[]) =>
    el(
      'section',
      { class: 'card', 'aria-labelledby': `${idPart}-title` },
      el('h2', { id: `${idPart}-title` }, title),
      ...body,
    );
  const element = el(
    'div',
    { class: 'lamp-detail' },
    el('p', {}, el('a', { href: '#/' }, '← Route')),
    el('h1', { id: 'lamp-title' }, `Lamp ${id}`),
    el(
      'div',
      { class: 'grid-2' },
      section('Now', 'now', facts),
      section('Live', 'live', liveChart.element, supplyChart.element),
    ),
    section('History', 'history', rangeGroup.element, historyChart.element, historyNote),
    section('Burning hours and power creep', 'life', lifeChart.element, lifeNote),
    el(
      'div',
      { class: 'grid-2' },
      section('Program', 'program', programBox),
      section('Commands', 'commands', commandsBox),
    ),
    el(
      'div',
      { class: 'grid-2' },
      section('Events', 'events', eventsBox),
      section('Alarms', 'alarms', alarmsBox),
    ),
  );
  return {
    element,
    setRange(r) {
      if (r === range) return;
      range = r;
      void loadHistory();
    },
  };
}

const screen: ScreenFactory = ({ app, route, signal }) => {
  const host = el('div');
  let id = route.params.id ?? '';
  let inner = new AbortController();
  signal.addEventListener('abort', () => inner.abort());
  let built = build(app, id, rangeOf(route.query), inner.signal);
  host.append(built.element);
  return {
    element: host,
    title: `Lamp ${id}`,
    update(next: Route) {
      const nextId = next.params.id ?? '';
      if (nextId === id) return built.setRange(rangeOf(next.query));
      // another lamp on the same screen: start over with its data
      inner.abort();
      inner = new AbortController();
      id = nextId;
      built = build(app, id, rangeOf(next.query), inner.signal);
      host.replaceChildren(built.element);
      document.title = `Lamp ${id} · gadelys`;
    },
  };
};
export default screen;

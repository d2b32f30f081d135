/**
 * The route overview: every lamp on the canvas map coloured by its live level, trouble marks
 * from the active alarms, a tooltip with the hovered lamp's values, totals, and the active alarms
 * with acknowledge. Clicking a lamp opens its detail (`#/lamp/<id>`).
 */
import { ApiError } from '../app/api.ts';
import { clear, el, fmt, setText, timeOf } from '../app/dom.ts';
import { routeHash } from '../app/router.ts';
import type { App, ScreenFactory } from '../app/screen.ts';
import { frameScheduler } from '../app/store.ts';
import type { ActiveAlarm } from '../live/alarms.ts';
import { FLAG, type LiveTable, ONLINE } from '../live/LiveTable.ts';
import { legend } from '../map/legend.ts';
import { MapView } from '../map/MapView.ts';
import { registerMapHook } from '../testHook.ts';
import { lampValueRows } from '../ui/lampValues.ts';

const FAULT_BITS =
  FLAG.lampFailure | FLAG.supplyLoss | FLAG.dayBurning | FLAG.commsLost | FLAG.powerDeviation;
const ALARM_LABEL: Record<ActiveAlarm['type'], string> = {
  lampFailure: 'Lamp failure',
  segmentSupplyLoss: 'Supply loss',
  dayBurning: 'Day-burning',
  commsLost: 'Comms lost',
  powerDeviation: 'Power deviation',
  commandNotAcked: 'Command not acknowledged',
};
const FLAG_LABEL: [number, string][] = [
  [FLAG.lampFailure, 'lamp failure'],
  [FLAG.supplyLoss, 'supply loss'],
  [FLAG.dayBurning, 'day-burning'],
  [FLAG.commsLost, 'comms lost'],
  [FLAG.powerDeviation, 'power deviation'],
  [FLAG.commandNotAcked, 'command not acked'],
];
const MAX_ALARMS_SHOWN = 100;
const ENERGY_EVERY_MS = 60_000;

/** The night that holds `now`, as the gateway's `night=` names it (noon to noon UTC). */
export function nightOf(now: number): string {
  return new Date(now - 12 * 3_600_000).toISOString().slice(0, 10);
}

function stat(label: string, id: string): { tile: HTMLElement; value: HTMLElement } {
  const value = el('span', { class: 'stat-value', id });
  return {
    tile: el('div', { class: 'stat' }, value, el('span', { class: 'stat-label' }, label)),
    value,
  };
}

function tooltipRows(table: LiveTable, i: number): HTMLElement[] {
  const r = table.row(i);
  const flags = FLAG_LABEL.filter(([bit]) => r.flags & bit).map(([, label]) => label);
  const rows = lampValueRows(r, timeOf);
  return [
    el('strong', { class: 'tip-title' }, r.lampId),
    el('span', { class: 'tip-sub' }, `${r.segmentId} · ${r.vendorId} · ${r.modelId}`),
    ...(flags.length > 0 ? [el('span', { class: 'tip-alarm' }, flags.join(', '))] : []),
    el('dl', {}, ...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
  ];
}

function alarmItem(app: App, a: ActiveAlarm): HTMLElement {
  const where = a.lampId
    ? el('a', { href: routeHash('lamp', a.lampId) }, a.lampId)
    : el('span', {}, a.segmentId ?? '');
  const li = el(
    'li',
    { class: `alarm sev-${a.severity}`, 'data-alarm': a.alarmId },
    el('span', { class: 'sev' }, a.severity),
    el(
      'div',
      { class: 'alarm-body' },
      el('span', { class: 'alarm-title' }, ALARM_LABEL[a.type], ' · ', where),
      el('span', { class: 'alarm-detail' }, a.detail),
      el('span', { class: 'alarm-time' }, timeOf(a.ts)),
    ),
  );
  if (a.acknowledgedBy !== undefined) {
    li.append(el('span', { class: 'acked' }, `Acknowledged by ${a.acknowledgedBy}`));
  } else if (app.can('alarms.ack')) {
    const button = el(
      'button',
      {
        type: 'button',
        class: 'small',
        'aria-label': `Acknowledge ${ALARM_LABEL[a.type]} on ${a.lampId ?? a.segmentId ?? ''}`,
      },
      'Acknowledge',
    );
    button.addEventListener('click', () => {
      button.disabled = true;
      app.api
        .post(`/api/alarms/${encodeURIComponent(a.alarmId)}/ack`, {})
        .then(() => app.announce(`${ALARM_LABEL[a.type]} acknowledged`))
        .catch((err: unknown) => {
          button.disabled = false;
          app.announce(err instanceof ApiError ? err.describe() : String(err));
        });
    });
    li.append(button);
  }
  return li;
}

const screen: ScreenFactory = ({ app, signal }) => {
  const { table, alarms } = app.live;
  const tip = el('div', { class: 'map-tip', role: 'tooltip', id: 'map-tip', hidden: true });
  const map = new MapView({
    table,
    label: 'Map of the route’s lamp posts',
    onOpen: (i) => app.navigate(routeHash('lamp', table.ids[i] ?? '')),
    onHover: (i) => renderTip(i),
  });
  map.element.append(tip);
  signal.addEventListener('abort', () => {
    map.destroy();
    registerMapHook(undefined);
  });
  registerMapHook({
    count: () => map.drawnCount,
    frames: () => map.frameCount,
    drawMs: () => map.lastDrawMs,
    pointOf: (id) => {
      const i = table.indexOf.get(id);
      return i === undefined ? undefined : map.pointOf(i);
    },
  });

  function renderTip(i: number): void {
    if (i < 0) {
      tip.hidden = true;
      return;
    }
    const at = map.pointOf(i);
    if (!at) return;
    tip.replaceChildren(...tooltipRows(table, i));
    tip.hidden = false;
    const { width: w, height: h } = map.viewport;
    const tw = tip.offsetWidth;
    const th = tip.offsetHeight;
    // keep the tooltip inside the map: flip to the lamp's left or above it near an edge
    const left = at.x + 16 + tw > w ? Math.max(4, at.x - 16 - tw) : at.x + 16;
    const top = at.y - 20 + th > h ? Math.max(4, at.y - th - 12) : Math.max(4, at.y - 20);
    tip.style.left = `${left}px`;
    tip.style.top = `${top}px`;
  }

  const kw = stat('kW now', 'stat-kw');
  const kwh = stat('kWh tonight', 'stat-kwh');
  const online = stat('lamps online', 'stat-online');
  const faulty = stat('lamps faulty', 'stat-faulty');
  const alarmList = el('ul', { class: 'alarms', id: 'alarm-list' });
  const alarmCount = el('span', { class: 'count' });
  const approx = el(
    'p',
    { class: 'hint', hidden: true },
    'Approximate route geometry: import the surveyed inventory to replace it.',
  );
  const find = el('input', {
    type: 'search',
    id: 'find-lamp',
    name: 'find',
    placeholder: 'DOLL-0042',
    autocomplete: 'off',
    'aria-describedby': 'find-hint',
  });
  const findHint = el('span', { class: 'hint', id: 'find-hint' }, 'Enter opens the lamp');
  const findForm = el(
    'form',
    { class: 'find', role: 'search' },
    el('label', { for: 'find-lamp' }, 'Find a lamp'),
    find,
    findHint,
  );
  findForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = find.value.trim();
    const i = table.indexOf.get(id) ?? table.indexOf.get(id.toUpperCase());
    if (i === undefined) {
      setText(findHint, `No lamp ${id}`);
      return;
    }
    app.navigate(routeHash('lamp', table.ids[i]!));
  });

  let lastAlarms = -1;
  function renderAlarms(): void {
    if (alarms.version === lastAlarms) return;
    lastAlarms = alarms.version;
    const list = alarms.list();
    clear(alarmList);
    if (list.length === 0) alarmList.append(el('li', { class: 'empty' }, 'No active alarms'));
    for (const a of list.slice(0, MAX_ALARMS_SHOWN)) alarmList.append(alarmItem(app, a));
    if (list.length > MAX_ALARMS_SHOWN)
      alarmList.append(el('li', { class: 'empty' }, `and ${list.length - MAX_ALARMS_SHOWN} more`));
    setText(alarmCount, String(list.length));
  }

  function renderTotals(): void {
    let watts = 0;
    let on = 0;
    let bad = 0;
    for (let i = 0; i < table.size; i++) {
      if (table.status[i] === ONLINE) {
        on += 1;
        const w = table.power[i]!;
        if (!Number.isNaN(w)) watts += w;
      }
      if (table.flags[i]! & FAULT_BITS) bad += 1;
    }
    setText(kw.value, fmt(watts / 1000, 2));
    setText(online.value, `${fmt(on)} / ${fmt(table.size)}`);
    setText(faulty.value, fmt(bad));
    approx.hidden = !table.approximate;
    map.element
      .querySelector('canvas[role=img]')
      ?.setAttribute(
        'aria-label',
        `Map of ${table.size} lamp posts: ${on} online, ${bad} faulty. Use the arrow keys to pan, plus and minus to zoom.`,
      );
  }

  async function refreshEnergy(): Promise<void> {
    try {
      const night = nightOf(Date.now());
      const r = await app.api.get<{ rows: { key: string; kWh: number }[] }>(
        `/api/energy?night=${night}&groupBy=vendor`,
        signal,
      );
      setText(
        kwh.value,
        fmt(
          r.rows.reduce((sum, row) => sum + row.kWh, 0),
          1,
        ),
      );
    } catch {
      if (!signal.aborted) setText(kwh.value, '–');
    }
  }
  void refreshEnergy();
  const energyTimer = setInterval(() => void refreshEnergy(), ENERGY_EVERY_MS);
  signal.addEventListener('abort', () => clearInterval(energyTimer));

  // Totals walk every lamp: like the map's live paint, four times a second is enough.
  const panel = frameScheduler(() => {
    renderTotals();
    renderAlarms();
    if (map.hoveredIndex >= 0) renderTip(map.hoveredIndex);
  }, 250);
  signal.addEventListener('abort', () => panel.cancel());
  app.live.changed.subscribe(() => {
    map.invalidateLive();
    panel.request();
  }, signal);
  // permissions arrive with the socket's hello: the acknowledge buttons depend on them
  app.session.subscribe(() => {
    lastAlarms = -1;
    panel.request();
  }, signal);
  panel.request();

  const element = el(
    'div',
    { class: 'overview' },
    el('div', { class: 'overview-head' }, el('div', {}, el('h1', {}, 'Route'), approx), findForm),
    el(
      'section',
      { class: 'stats', 'aria-label': 'Totals' },
      kw.tile,
      kwh.tile,
      online.tile,
      faulty.tile,
    ),
    el(
      'div',
      { class: 'overview-body' },
      el('section', { class: 'card map-card', 'aria-label': 'Map' }, map.element, legend()),
      el(
        'section',
        { class: 'card alarms-card', 'aria-labelledby': 'alarms-title' },
        el('h2', { id: 'alarms-title' }, 'Active alarms ', alarmCount),
        alarmList,
      ),
    ),
  );
  return { element, title: 'Route' };
};
export default screen;

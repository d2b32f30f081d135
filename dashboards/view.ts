/**
 * Dashboard rendering: the lamp table, the map, alarms and commands. Only textContent and
 * attributes are written, never HTML, so no data from the network can become markup.
 */
import type { CommandSummary, LiveLamp } from '../services/gateway/api.ts';
import type { Alarm } from '../shared/contract/index.ts';
import type { LampPost } from '../shared/registry/index.ts';

export type Lamp = LampPost & { vendorId: string };
export interface Row {
  tr: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
  dot: SVGCircleElement;
  lamp: Lamp;
}

export const $ = <T extends Element>(sel: string) => document.querySelector(sel) as T;
const SVG_NS = 'http://www.w3.org/2000/svg';
export const rows = new Map<string, Row>();
export const live = new Map<string, LiveLamp>();
export const alarms = new Map<string, Alarm>();
export const commands = new Map<string, CommandSummary>();

export function text(el: Element, value: string): void {
  if (el.textContent !== value) el.textContent = value;
}

/** Lamp level to a colour: dark when off, warm yellow at 100 %. */
function levelColour(level: number | undefined): string {
  if (level === undefined) return '#394651';
  const l = 15 + Math.round((level / 100) * 50);
  return `hsl(45, 90%, ${l}%)`;
}

export function buildMap(lamps: Lamp[]): void {
  const svg = $<SVGSVGElement>('#map');
  svg.replaceChildren();
  const lons = lamps.map((l) => l.lon);
  const lats = lamps.map((l) => l.lat);
  const [minLon, maxLon, minLat, maxLat] = [
    Math.min(...lons),
    Math.max(...lons),
    Math.min(...lats),
    Math.max(...lats),
  ];
  // Equirectangular with the latitude's cosine: good enough over a few km.
  const kx = Math.cos(((minLat + maxLat) / 2) * (Math.PI / 180));
  const w = (maxLon - minLon) * kx || 1e-6;
  const h = maxLat - minLat || 1e-6;
  const scale = Math.min(960 / w, 460 / h);
  for (const lamp of lamps) {
    const dot = document.createElementNS(SVG_NS, 'circle');
    dot.setAttribute('cx', String(20 + (lamp.lon - minLon) * kx * scale));
    dot.setAttribute('cy', String(480 - (lamp.lat - minLat) * scale));
    dot.setAttribute('r', '5');
    dot.setAttribute('fill', levelColour(undefined));
    dot.dataset.lamp = lamp.id;
    const title = document.createElementNS(SVG_NS, 'title');
    title.textContent = lamp.id;
    dot.append(title);
    svg.append(dot);
    const row = rows.get(lamp.id);
    if (row) row.dot = dot;
  }
}

export function buildTable(lamps: Lamp[]): void {
  const body = $<HTMLTableSectionElement>('#lamps tbody');
  body.replaceChildren();
  rows.clear();
  for (const lamp of lamps) {
    const tr = document.createElement('tr');
    tr.dataset.lamp = lamp.id;
    const cells = [lamp.id, lamp.segmentId, lamp.vendorId, '?', '', '', ''].map((v) => {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
      return td;
    });
    body.append(tr);
    rows.set(lamp.id, { tr, cells, lamp, dot: document.createElementNS(SVG_NS, 'circle') });
  }
}

export function render(l: LiveLamp): void {
  live.set(l.lampId, l);
  const row = rows.get(l.lampId);
  if (!row) return;
  const t = l.telemetry;
  text(row.cells[3]!, l.status);
  text(row.cells[4]!, t ? String(Math.round(t.actualLevel)) : '');
  text(row.cells[5]!, t ? t.activePower.toFixed(1) : '');
  text(row.cells[6]!, t ? new Date(t.ts).toLocaleTimeString() : '');
  row.tr.classList.toggle('offline', l.status === 'offline');
  row.dot.setAttribute('fill', levelColour(t?.actualLevel));
  row.dot.classList.toggle('offline', l.status === 'offline');
}

export function renderSummary(): void {
  let online = 0;
  let power = 0;
  for (const l of live.values()) {
    if (l.status === 'online') online += 1;
    power += l.telemetry?.activePower ?? 0;
  }
  text($('#online'), String(online));
  text($('#lamp-count'), String(rows.size));
  text($('#total-power'), String(Math.round(power)));
  text($('#alarm-count'), String([...alarms.values()].filter((a) => a.state === 'raised').length));
}

export function renderAlarms(): void {
  const list = $<HTMLUListElement>('#alarms');
  list.replaceChildren(
    ...[...alarms.values()]
      .filter((a) => a.state === 'raised')
      .sort((a, b) => b.ts - a.ts)
      .slice(0, 50)
      .map((a) => {
        const li = document.createElement('li');
        li.className = a.severity;
        li.textContent = `${new Date(a.ts).toLocaleTimeString()} ${a.type} ${a.lampId ?? a.segmentId ?? ''}: ${a.detail}`;
        return li;
      }),
  );
}

export function renderCommands(): void {
  const body = $<HTMLTableSectionElement>('#commands tbody');
  const latest = [...commands.values()].sort((a, b) => b.issuedAt - a.issuedAt).slice(0, 10);
  body.replaceChildren(
    ...latest.map((c) => {
      const tr = document.createElement('tr');
      tr.dataset.command = c.commandId;
      const target = c.target.kind === 'route' ? 'route' : Object.values(c.target)[1];
      for (const v of [
        c.commandId,
        `${c.target.kind} ${target}`,
        c.status,
        c.counts.acked,
        c.counts.timedOut,
        c.counts.rejected,
        c.rttMs.p50 ?? '',
      ]) {
        const td = document.createElement('td');
        td.textContent = String(v);
        tr.append(td);
      }
      return tr;
    }),
  );
}

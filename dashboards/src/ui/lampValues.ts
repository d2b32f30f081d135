/** A lamp's live values as label and text pairs, the same wherever a lamp is described. */
import { fmt } from '../app/dom.ts';
import type { LampRow } from '../live/LiveTable.ts';

export function lampValueRows(r: LampRow, time: (ts: number) => string): [string, string][] {
  return [
    ['Status', r.status],
    ['Level', `${fmt(r.level, 0, '%')} (target ${fmt(r.target, 0, '%')})`],
    ['Power', fmt(r.power, 1, 'W')],
    ['Voltage', fmt(r.voltage, 1, 'V')],
    ['Current', fmt(r.current, 3, 'A')],
    ['Light', fmt(r.lux, 1, 'lx')],
    ['Energy', fmt(r.energy, 2, 'kWh')],
    ['Reading', time(r.ts)],
  ];
}

/**
 * Horizontal bars for a handful of categories (energy per segment or vendor): a list, so the
 * values are read out in order; bar widths are set through CSSOM, which the page's CSP allows.
 */
import { el, fmt } from '../app/dom.ts';

export interface Bar {
  label: string;
  value: number;
  /** A second figure after the value, e.g. per lamp. */
  note?: string;
}

export function bars(label: string, rows: readonly Bar[], unit: string, digits = 1): HTMLElement {
  const max = Math.max(0, ...rows.map((r) => r.value));
  const list = el('ul', { class: 'bars', 'aria-label': label });
  if (rows.length === 0) list.append(el('li', { class: 'hint' }, 'No data'));
  for (const r of rows) {
    const bar = el('span', { class: 'bar', 'aria-hidden': 'true' });
    bar.style.width = `${max > 0 ? (100 * r.value) / max : 0}%`;
    list.append(
      el(
        'li',
        { 'data-key': r.label },
        el('span', {}, r.label),
        el('span', {}, bar),
        el('span', { class: 'num' }, fmt(r.value, digits, unit), r.note ? ` · ${r.note}` : ''),
      ),
    );
  }
  return list;
}

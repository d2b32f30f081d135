/**
 * A plain, accessible data table: a caption, column headers, text or element cells, and a row
 * saying so when there is nothing to show. Wide tables scroll inside their own box at 768 px.
 */
import { el } from '../app/dom.ts';

export type Cell = string | number | Node;

export interface Column<T> {
  header: string;
  cell: (row: T) => Cell;
  /** Right-aligned, tabular figures. */
  numeric?: boolean;
}

export function dataTable<T>(
  caption: string,
  columns: readonly Column<T>[],
  rows: readonly T[],
  opts: { empty?: string; rowAttrs?: (row: T) => Record<string, string> } = {},
): HTMLElement {
  const head = el(
    'tr',
    {},
    ...columns.map((c) =>
      el('th', { scope: 'col', class: c.numeric ? 'num' : undefined }, c.header),
    ),
  );
  const body = el('tbody');
  if (rows.length === 0) {
    body.append(
      el('tr', {}, el('td', { colspan: columns.length, class: 'empty' }, opts.empty ?? 'None')),
    );
  }
  for (const r of rows) {
    const tr = el('tr', opts.rowAttrs?.(r) ?? {});
    for (const c of columns) {
      const v = c.cell(r);
      tr.append(
        el('td', { class: c.numeric ? 'num' : undefined }, typeof v === 'object' ? v : String(v)),
      );
    }
    body.append(tr);
  }
  // a region that may scroll sideways at 768 px: focusable so the keyboard can scroll it too
  return el(
    'div',
    { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: 0 },
    el('table', { class: 'data' }, el('caption', {}, caption), el('thead', {}, head), body),
  );
}

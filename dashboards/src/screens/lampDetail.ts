/**
 * One lamp: a placeholder that shows its live values until the full detail screen (charts,
 * history by range, events, commands) lands. Deep link: `#/lamp/<id>?range=7d`.
 */
import { el, fmt, timeOf } from '../app/dom.ts';
import type { ScreenFactory } from '../app/screen.ts';

const screen: ScreenFactory = ({ app, route, signal }) => {
  const id = route.params.id ?? '';
  const table = app.live.table;
  const values = el('dl', { class: 'facts' });
  const heading = el('h1', { id: 'lamp-title' }, `Lamp ${id}`);
  const render = () => {
    const i = table.indexOf.get(id);
    values.replaceChildren();
    if (i === undefined) {
      values.append(
        el('dt', {}, 'Not found'),
        el('dd', {}, 'no lamp with this id that you may see'),
      );
      return;
    }
    const r = table.row(i);
    const facts: [string, string][] = [
      ['Status', r.status],
      ['Segment', r.segmentId],
      ['Vendor', r.vendorId],
      ['Model', r.modelId],
      ['Level', fmt(r.level, 0, '%')],
      ['Power', fmt(r.power, 1, 'W')],
      ['Voltage', fmt(r.voltage, 1, 'V')],
      ['Last reading', timeOf(r.ts)],
    ];
    for (const [k, v] of facts) values.append(el('dt', {}, k), el('dd', {}, v));
  };
  app.live.changed.subscribe(render, signal);
  render();
  return {
    element: el(
      'section',
      { class: 'card', 'aria-labelledby': 'lamp-title' },
      el('p', {}, el('a', { href: '#/' }, '← Route')),
      heading,
      values,
    ),
    title: `Lamp ${id}`,
  };
};
export default screen;

/** The route overview: the map of every lamp, totals and active alarms. */
import { el, fmt, setText } from '../app/dom.ts';
import type { ScreenFactory } from '../app/screen.ts';

const screen: ScreenFactory = ({ app, signal }) => {
  const count = el('b', {}, '0');
  const render = () => setText(count, fmt(app.live.table.size));
  app.live.changed.subscribe(render, signal);
  render();
  return {
    element: el('section', { class: 'card' }, el('h1', {}, 'Route'), el('p', {}, count, ' lamps')),
    title: 'Route',
  };
};
export default screen;

/** The map's legend, drawn with the same code as the map so the two cannot disagree. */
import { el } from '../app/dom.ts';
import {
  BUCKET_CSS,
  bucketOf,
  drawMark,
  MAP_BG,
  MARK,
  MARK_STYLE,
  type Mark,
  NO_DATA,
} from './marks.ts';

function swatch(draw: (ctx: CanvasRenderingContext2D, size: number) => void): HTMLCanvasElement {
  const size = 18;
  const dpr = Math.min(window.devicePixelRatio || 1, 2);
  const c = el('canvas', { width: size * dpr, height: size * dpr, 'aria-hidden': 'true' });
  c.style.width = `${size}px`;
  c.style.height = `${size}px`;
  const ctx = c.getContext('2d');
  if (ctx) {
    ctx.fillStyle = MAP_BG;
    ctx.fillRect(0, 0, c.width, c.height);
    draw(ctx, size * dpr);
  }
  return c;
}

const dot = (colour: string) =>
  swatch((ctx, s) => {
    ctx.fillStyle = colour;
    ctx.beginPath();
    ctx.arc(s / 2, s / 2, s / 4, 0, Math.PI * 2);
    ctx.fill();
  });

export function legend(): HTMLElement {
  const levels = [0, 25, 50, 75, 100].map((l) =>
    el('li', {}, dot(BUCKET_CSS[bucketOf(l)]!), l === 0 ? 'Off' : `${l} %`),
  );
  const marks = (
    [MARK.lampFailure, MARK.supplyLoss, MARK.dayBurning, MARK.commsLost, MARK.offline] as Exclude<
      Mark,
      0 | 1
    >[]
  ).map((m) =>
    el(
      'li',
      {},
      swatch((ctx, s) => drawMark(ctx, m, s / 2, s / 2, s / 3)),
      MARK_STYLE[m].label,
    ),
  );
  return el(
    'div',
    { class: 'legend', role: 'group', 'aria-label': 'Map legend' },
    el(
      'div',
      {},
      el('h3', {}, 'Level'),
      el('ul', {}, ...levels, el('li', {}, dot(NO_DATA), 'No data')),
    ),
    el('div', {}, el('h3', {}, 'Needs attention'), el('ul', {}, ...marks)),
  );
}

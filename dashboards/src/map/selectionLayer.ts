/**
 * A layer over a MapView for screens that pick lamps and follow them: box and lasso selection
 * (the map's own pan, zoom and click stay as they are while the mode is `pan`), and per-lamp
 * state rings drawn over the lamps (a command's acks, say). It only uses the map's public
 * `pointOf`, so the overview's map is untouched by it.
 */
import { el } from '../app/dom.ts';
import type { MapView } from './MapView.ts';

export type SelectMode = 'pan' | 'box' | 'lasso';
export type RingState = 'pending' | 'acked' | 'failed';

const SVG = 'http://www.w3.org/2000/svg';
const RING: Record<RingState, { colour: string; dash: number[] }> = {
  pending: { colour: '#ffc247', dash: [3, 3] },
  acked: { colour: '#3ddc84', dash: [] },
  failed: { colour: '#ff4d4f', dash: [] },
};

type Pt = { x: number; y: number };

/** Is `p` inside the polygon `poly` (even-odd rule)? */
export function insidePolygon(p: Pt, poly: readonly Pt[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const a = poly[i]!;
    const b = poly[j]!;
    if (a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) {
      inside = !inside;
    }
  }
  return inside;
}

export class SelectionLayer {
  readonly element: HTMLDivElement;
  private readonly svg: SVGSVGElement;
  private readonly shape: SVGPathElement;
  private readonly rings: HTMLCanvasElement;
  private mode: SelectMode = 'pan';
  private states = new Map<number, RingState>();
  private drawnFrame = -1;
  private dirty = true;
  private raf = 0;
  private readonly abort = new AbortController();

  constructor(
    private readonly map: MapView,
    private readonly size: () => number,
    private readonly onSelect: (indices: number[], how: 'box' | 'lasso') => void,
  ) {
    this.rings = el('canvas', { 'aria-hidden': 'true' });
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.setAttribute('aria-hidden', 'true');
    this.shape = document.createElementNS(SVG, 'path');
    this.shape.setAttribute('fill', 'rgb(255 255 255 / 12%)');
    this.shape.setAttribute('stroke', '#ffffff');
    this.shape.setAttribute('stroke-width', '1.5');
    this.shape.setAttribute('stroke-dasharray', '5 3');
    this.svg.append(this.shape);
    this.element = el('div', { class: 'map-select', 'data-mode': 'pan' }, this.rings, this.svg);
    // under the map's buttons and tooltip, over its canvases
    const controls = map.element.querySelector('.map-controls');
    map.element.insertBefore(this.element, controls);
    this.bind();
    this.loop();
  }

  setMode(mode: SelectMode): void {
    this.mode = mode;
    this.element.dataset.mode = mode;
  }

  /** Rings over these lamps (by table index); an empty map clears them. */
  setStates(states: Map<number, RingState>): void {
    this.states = states;
    this.dirty = true;
  }

  destroy(): void {
    this.abort.abort();
    cancelAnimationFrame(this.raf);
    this.element.remove();
  }

  private bind(): void {
    const signal = this.abort.signal;
    const target = this.element;
    let points: Pt[] | undefined;
    const local = (e: PointerEvent): Pt => {
      const r = target.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    const box = (a: Pt, b: Pt): Pt[] => [a, { x: b.x, y: a.y }, b, { x: a.x, y: b.y }];
    const outline = (): Pt[] => {
      if (!points || points.length === 0) return [];
      return this.mode === 'box' ? box(points[0]!, points[points.length - 1]!) : points;
    };
    target.addEventListener(
      'pointerdown',
      (e) => {
        if (this.mode === 'pan' || e.button !== 0) return;
        e.preventDefault();
        target.setPointerCapture(e.pointerId);
        points = [local(e)];
      },
      { signal },
    );
    target.addEventListener(
      'pointermove',
      (e) => {
        if (!points) return;
        const p = local(e);
        if (this.mode === 'box') points = [points[0]!, p];
        else points.push(p);
        const o = outline();
        this.shape.setAttribute(
          'd',
          o.length > 1 ? `M${o.map((q) => `${q.x},${q.y}`).join('L')}Z` : '',
        );
      },
      { signal },
    );
    const finish = (e: PointerEvent) => {
      if (!points) return;
      if (e.type === 'pointerup') points.push(local(e));
      const o = outline();
      points = undefined;
      this.shape.setAttribute('d', '');
      if (o.length < 3 || this.mode === 'pan') return;
      const how = this.mode;
      this.onSelect(this.inside(o), how);
    };
    target.addEventListener('pointerup', finish, { signal });
    target.addEventListener('pointercancel', finish, { signal });
  }

  private inside(poly: readonly Pt[]): number[] {
    const xs = poly.map((p) => p.x);
    const ys = poly.map((p) => p.y);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const out: number[] = [];
    for (let i = 0; i < this.size(); i++) {
      const p = this.map.pointOf(i);
      if (!p || p.x < x0 || p.x > x1 || p.y < y0 || p.y > y1) continue;
      if (insidePolygon(p, poly)) out.push(i);
    }
    return out;
  }

  /** Redraw the rings when the map drew a new frame (pan, zoom, live values) or they changed. */
  private loop(): void {
    this.raf = requestAnimationFrame(() => {
      if (this.abort.signal.aborted) return;
      if (this.dirty || this.map.frameCount !== this.drawnFrame) this.drawRings();
      this.loop();
    });
  }

  private drawRings(): void {
    this.dirty = false;
    this.drawnFrame = this.map.frameCount;
    const c = this.rings;
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    const w = Math.round(this.element.clientWidth * dpr);
    const h = Math.round(this.element.clientHeight * dpr);
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
    }
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, w, h);
    if (this.states.size === 0) return;
    ctx.lineWidth = 2 * dpr;
    for (const state of ['pending', 'acked', 'failed'] as const) {
      const style = RING[state];
      ctx.strokeStyle = style.colour;
      ctx.setLineDash(style.dash.map((d) => d * dpr));
      ctx.beginPath();
      for (const [i, s] of this.states) {
        if (s !== state) continue;
        const p = this.map.pointOf(i);
        if (!p) continue;
        const x = p.x * dpr;
        const y = p.y * dpr;
        const r = 9 * dpr;
        if (x < -r || y < -r || x > w + r || y > h + r) continue;
        if (state === 'failed') {
          // a square, not a ring: failures read without colour too
          ctx.rect(x - r, y - r, 2 * r, 2 * r);
        } else {
          ctx.moveTo(x + r, y);
          ctx.arc(x, y, r, 0, Math.PI * 2);
        }
      }
      ctx.stroke();
    }
    ctx.setLineDash([]);
  }
}

/** A legend for the rings, matching what `drawRings` draws. */
export function ringLegend(): HTMLElement {
  const item = (state: RingState, label: string) => {
    const c = el('canvas', { width: 22, height: 22, 'aria-hidden': 'true' });
    const ctx = c.getContext('2d');
    if (ctx) {
      ctx.fillStyle = '#0f1b26';
      ctx.fillRect(0, 0, 22, 22);
      ctx.strokeStyle = RING[state].colour;
      ctx.lineWidth = 2;
      ctx.setLineDash(RING[state].dash);
      ctx.beginPath();
      if (state === 'failed') ctx.rect(4, 4, 14, 14);
      else ctx.arc(11, 11, 7, 0, Math.PI * 2);
      ctx.stroke();
    }
    return el('li', {}, c, label);
  };
  return el(
    'ul',
    { class: 'ring-legend', 'aria-label': 'Command state on the map' },
    item('pending', 'Waiting for ack'),
    item('acked', 'Acknowledged'),
    item('failed', 'Rejected or timed out'),
  );
}

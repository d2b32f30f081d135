/**
 * The route map on canvas: every lamp of the LiveTable, projected once per registry, drawn once
 * per animation frame when something changed. Small dots are written straight into an ImageData
 * (100,000 lamps cost a few ms), larger ones and the trouble marks are paths. Hover finds the
 * nearest lamp through a spatial grid; drag pans, the wheel and +/- zoom, arrow keys pan.
 */
import { el } from '../app/dom.ts';
import { frameScheduler } from '../app/store.ts';
import type { LiveTable } from '../live/LiveTable.ts';
import { SpatialGrid } from './grid.ts';
import {
  BUCKET_CSS,
  BUCKET_RGB,
  bucketOf,
  drawMark,
  LEVEL_BUCKETS,
  MAP_BG,
  MARK,
  markOf,
  NO_DATA,
  ROUTE_LINE,
} from './marks.ts';
import { type Projected, project } from './projection.ts';
import { Viewport } from './viewport.ts';

export interface MapViewOptions {
  table: LiveTable;
  /** A lamp was clicked (or Enter pressed on the hovered one). */
  onOpen?: (index: number) => void;
  /** The hovered lamp changed (-1: none). */
  onHover?: (index: number, at: { x: number; y: number }) => void;
  /** Shift-drag selected these lamps (only when given). */
  onSelect?: (indices: number[]) => void;
  label?: string;
}

/** Routes lines join consecutive lamps of a segment closer than this, metres. */
const MAX_LINK_M = 150;
const DRAG_THRESHOLD_PX = 4;
/** Above this many lamps small dots are written as pixels; below, round paths cost little. */
const PIXEL_DOTS_FROM = 5_000;
/** Readings arrive about once a second per lamp: four paints a second show every change. */
const LIVE_REDRAW_MS = 250;

export class MapView {
  readonly element: HTMLDivElement;
  readonly viewport = new Viewport();
  private readonly base: HTMLCanvasElement;
  private readonly lamps: HTMLCanvasElement;
  private readonly box: HTMLDivElement;
  private projected: Projected | undefined;
  private grid: SpatialGrid | undefined;
  private registryOf: string[] | undefined;
  private image: ImageData | undefined;
  private dpr = 1;
  /** Typical distance between neighbouring posts, metres (the median of a sample). */
  private spacing = 30;
  private baseDirty = true;
  private fitted = false;
  private hovered = -1;
  private selected = new Uint8Array(0);
  private drawn = 0;
  private frames = 0;
  /** Milliseconds the last draw took (for the benchmark). */
  lastDrawMs = 0;
  private readonly scheduler = frameScheduler(() => this.draw());
  /** Live values redraw at most this often; pan, zoom and hover draw on the next frame. */
  private readonly liveScheduler = frameScheduler(() => this.draw(), LIVE_REDRAW_MS);
  private readonly resizeObserver: ResizeObserver;
  private readonly abort = new AbortController();

  constructor(private readonly opts: MapViewOptions) {
    this.base = el('canvas', { class: 'map-base', 'aria-hidden': 'true' });
    this.lamps = el('canvas', {
      class: 'map-lamps',
      tabindex: '0',
      role: 'img',
      'aria-label': opts.label ?? 'Map of the route',
    });
    this.box = el('div', { class: 'map-box', hidden: true });
    const zoomIn = el('button', { type: 'button', 'aria-label': 'Zoom in', title: 'Zoom in' }, '+');
    const zoomOut = el(
      'button',
      { type: 'button', 'aria-label': 'Zoom out', title: 'Zoom out' },
      '−',
    );
    const fit = el(
      'button',
      { type: 'button', 'aria-label': 'Show the whole route', title: 'Show the whole route' },
      '⤢',
    );
    const signal = this.abort.signal;
    zoomIn.addEventListener('click', () => this.zoom(1.6), { signal });
    zoomOut.addEventListener('click', () => this.zoom(1 / 1.6), { signal });
    fit.addEventListener('click', () => this.fit(), { signal });
    this.element = el(
      'div',
      { class: 'map' },
      this.base,
      this.lamps,
      this.box,
      el('div', { class: 'map-controls' }, zoomIn, zoomOut, fit),
    );
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(this.element);
    this.bindInput(signal);
  }

  /** Something the user did changed the view: draw on the next frame. */
  invalidate(): void {
    this.scheduler.request();
  }

  /** Live values or alarms changed: draw soon, at most every LIVE_REDRAW_MS. */
  invalidateLive(): void {
    this.liveScheduler.request();
  }

  get hoveredIndex(): number {
    return this.hovered;
  }

  get drawnCount(): number {
    return this.drawn;
  }

  get frameCount(): number {
    return this.frames;
  }

  setSelection(indices: Iterable<number>): void {
    this.selected = new Uint8Array(this.opts.table.size);
    for (const i of indices) this.selected[i] = 1;
    this.invalidate();
  }

  /** Centre on a lamp (keyboard search, deep links) and mark it as hovered. */
  focusLamp(index: number): void {
    const p = this.ensureProjected();
    if (!p || index < 0 || index >= p.x.length) return;
    this.viewport.cx = p.x[index]!;
    this.viewport.cy = p.y[index]!;
    this.viewport.scale = Math.max(this.viewport.scale, 0.5);
    this.baseDirty = true;
    this.setHovered(index);
    this.invalidate();
  }

  /** Where a lamp is drawn, CSS px relative to the canvas. */
  pointOf(index: number): { x: number; y: number } | undefined {
    const p = this.ensureProjected();
    if (!p || index < 0 || index >= p.x.length) return undefined;
    return { x: this.viewport.sx(p.x[index]!), y: this.viewport.sy(p.y[index]!) };
  }

  destroy(): void {
    this.abort.abort();
    this.scheduler.cancel();
    this.liveScheduler.cancel();
    this.resizeObserver.disconnect();
  }

  zoom(factor: number): void {
    this.viewport.zoomAt(factor, this.viewport.width / 2, this.viewport.height / 2);
    this.baseDirty = true;
    this.invalidate();
  }

  fit(): void {
    const p = this.ensureProjected();
    if (!p) return;
    this.viewport.fit(p.bounds);
    this.baseDirty = true;
    this.invalidate();
  }

  private ensureProjected(): Projected | undefined {
    const t = this.opts.table;
    if (this.registryOf !== t.ids) {
      this.registryOf = t.ids;
      this.projected = project(t.lon, t.lat);
      this.grid = new SpatialGrid(this.projected.x, this.projected.y, this.projected.bounds);
      this.spacing = typicalSpacing(t, this.projected);
      this.selected = new Uint8Array(t.size);
      this.hovered = -1;
      this.fitted = false;
      this.baseDirty = true;
    }
    return this.projected;
  }

  private resize(): void {
    const rect = this.element.getBoundingClientRect();
    this.dpr = Math.min(window.devicePixelRatio || 1, 2);
    const w = Math.max(1, Math.round(rect.width));
    const h = Math.max(1, Math.round(rect.height));
    this.viewport.resize(w, h);
    for (const c of [this.base, this.lamps]) {
      c.width = Math.round(w * this.dpr);
      c.height = Math.round(h * this.dpr);
    }
    this.image = undefined;
    this.baseDirty = true;
    if (!this.fitted && this.projected) {
      this.viewport.fit(this.projected.bounds);
      this.fitted = true;
    }
    this.draw();
  }

  /**
   * Dot radius in CSS px: a third of the usual distance between neighbouring posts, so dots
   * stay apart when zoomed out and grow when zoomed in; never smaller than a visible dot.
   */
  private radius(): number {
    return Math.min(
      8,
      Math.max(
        this.opts.table.size > 20_000 ? 1.5 : 2.5,
        this.viewport.scale * this.spacing * 0.33,
      ),
    );
  }

  private draw(): void {
    const t0 = performance.now();
    const p = this.ensureProjected();
    if (!p) return;
    if (!this.fitted && this.viewport.width > 1) {
      this.viewport.fit(p.bounds);
      this.fitted = true;
      this.baseDirty = true;
    }
    if (this.baseDirty) this.drawBase(p);
    this.drawLamps(p);
    this.frames += 1;
    this.lastDrawMs = performance.now() - t0;
  }

  private drawBase(p: Projected): void {
    this.baseDirty = false;
    const ctx = this.base.getContext('2d');
    if (!ctx) return;
    const { dpr, viewport: v } = this;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = MAP_BG;
    ctx.fillRect(0, 0, this.base.width, this.base.height);
    const t = this.opts.table;
    const n = t.size;
    // Route lines only while there are few enough lamps on screen for them to mean something.
    if (n <= 50_000) {
      ctx.strokeStyle = ROUTE_LINE;
      ctx.lineWidth = Math.max(1, Math.min(4, v.scale * 3)) * dpr;
      ctx.lineCap = 'round';
      ctx.beginPath();
      for (let i = 1; i < n; i++) {
        if (t.segment[i] !== t.segment[i - 1]) continue;
        const dx = p.x[i]! - p.x[i - 1]!;
        const dy = p.y[i]! - p.y[i - 1]!;
        if (dx * dx + dy * dy > MAX_LINK_M * MAX_LINK_M) continue;
        ctx.moveTo(v.sx(p.x[i - 1]!) * dpr, v.sy(p.y[i - 1]!) * dpr);
        ctx.lineTo(v.sx(p.x[i]!) * dpr, v.sy(p.y[i]!) * dpr);
      }
      ctx.stroke();
    }
    this.drawScale(ctx);
  }

  private drawScale(ctx: CanvasRenderingContext2D): void {
    const { dpr, viewport: v } = this;
    const target = 120 / v.scale;
    const pow = 10 ** Math.floor(Math.log10(target));
    const metres =
      [1, 2, 5, 10]
        .map((k) => k * pow)
        .filter((m) => m <= target)
        .at(-1) ?? pow;
    const px = metres * v.scale;
    const x = 12;
    const y = v.height - 14;
    ctx.strokeStyle = '#c9d3dc';
    ctx.fillStyle = '#c9d3dc';
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    ctx.moveTo(x * dpr, (y - 5) * dpr);
    ctx.lineTo(x * dpr, y * dpr);
    ctx.lineTo((x + px) * dpr, y * dpr);
    ctx.lineTo((x + px) * dpr, (y - 5) * dpr);
    ctx.stroke();
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    ctx.fillText(
      metres >= 1000 ? `${metres / 1000} km` : `${metres} m`,
      (x + 4) * dpr,
      (y - 4) * dpr,
    );
  }

  private drawLamps(p: Projected): void {
    const ctx = this.lamps.getContext('2d');
    if (!ctx) return;
    const t = this.opts.table;
    const { dpr, viewport: v } = this;
    const W = this.lamps.width;
    const H = this.lamps.height;
    const r = this.radius() * dpr;
    const n = t.size;
    const special: number[] = [];
    let drawn = 0;
    const margin = r * 3;
    const s = v.scale * dpr;
    const ox = (v.width / 2) * dpr - v.cx * s;
    const oy = (v.height / 2) * dpr + v.cy * s;
    if (r <= 3 && n > PIXEL_DOTS_FROM) {
      // Many small dots: write pixels. A square of side d per lamp, no path to build.
      if (!this.image || this.image.width !== W || this.image.height !== H) {
        this.image = ctx.createImageData(W, H);
      }
      const px = new Uint32Array(this.image.data.buffer);
      px.fill(0);
      const colours = BUCKET_RGB.map(([cr, cg, cb]) => (0xff << 24) | (cb << 16) | (cg << 8) | cr);
      const [nr, ng, nb] = [0x56, 0x62, 0x6e];
      const noData = (0xff << 24) | (nb << 16) | (ng << 8) | nr;
      const d = Math.max(2, Math.round(r * 1.6));
      const half = d >> 1;
      for (let i = 0; i < n; i++) {
        const sx = p.x[i]! * s + ox;
        const sy = oy - p.y[i]! * s;
        if (sx < -margin || sy < -margin || sx > W + margin || sy > H + margin) continue;
        drawn += 1;
        const mark = markOf(t.status[i]!, t.flags[i]!, t.level[i]!);
        if (mark > MARK.noData) {
          special.push(i);
          continue;
        }
        const colour = mark === MARK.normal ? colours[bucketOf(t.level[i]!)]! : noData;
        const x0 = Math.max(0, Math.round(sx) - half);
        const y0 = Math.max(0, Math.round(sy) - half);
        const x1 = Math.min(W, x0 + d);
        const y1 = Math.min(H, y0 + d);
        for (let y = y0; y < y1; y++) px.fill(colour, y * W + x0, y * W + x1);
      }
      ctx.putImageData(this.image, 0, 0);
    } else {
      ctx.clearRect(0, 0, W, H);
      // Larger dots: one path per level bucket, filled once.
      const buckets: number[][] = Array.from({ length: LEVEL_BUCKETS + 1 }, () => []);
      for (let i = 0; i < n; i++) {
        const sx = p.x[i]! * s + ox;
        const sy = oy - p.y[i]! * s;
        if (sx < -margin || sy < -margin || sx > W + margin || sy > H + margin) continue;
        drawn += 1;
        const mark = markOf(t.status[i]!, t.flags[i]!, t.level[i]!);
        if (mark > MARK.noData) special.push(i);
        else buckets[mark === MARK.normal ? bucketOf(t.level[i]!) : LEVEL_BUCKETS]!.push(i);
      }
      buckets.forEach((list, b) => {
        if (list.length === 0) return;
        ctx.fillStyle = b === LEVEL_BUCKETS ? NO_DATA : BUCKET_CSS[b]!;
        ctx.beginPath();
        for (const i of list) {
          const sx = p.x[i]! * s + ox;
          const sy = oy - p.y[i]! * s;
          ctx.moveTo(sx + r, sy);
          ctx.arc(sx, sy, r, 0, Math.PI * 2);
        }
        ctx.fill();
      });
    }
    // Trouble marks on top, larger than any dot so they are seen at every zoom.
    const rm = Math.max(r * 1.5, 5.5 * dpr);
    for (const i of special) {
      drawMark(
        ctx,
        markOf(t.status[i]!, t.flags[i]!, t.level[i]!),
        p.x[i]! * s + ox,
        oy - p.y[i]! * s,
        rm,
      );
    }
    this.drawRings(ctx, p, s, ox, oy, rm);
    this.drawn = drawn;
  }

  private drawRings(
    ctx: CanvasRenderingContext2D,
    p: Projected,
    s: number,
    ox: number,
    oy: number,
    rm: number,
  ) {
    const t = this.opts.table;
    ctx.lineWidth = 2 * this.dpr;
    ctx.strokeStyle = '#ffffff';
    ctx.beginPath();
    let any = false;
    for (let i = 0; i < this.selected.length; i++) {
      if (!this.selected[i]) continue;
      any = true;
      const sx = p.x[i]! * s + ox;
      const sy = oy - p.y[i]! * s;
      ctx.moveTo(sx + rm + 2, sy);
      ctx.arc(sx, sy, rm + 2, 0, Math.PI * 2);
    }
    if (any) ctx.stroke();
    if (this.hovered >= 0 && this.hovered < t.size) {
      const sx = p.x[this.hovered]! * s + ox;
      const sy = oy - p.y[this.hovered]! * s;
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 2.5 * this.dpr;
      ctx.beginPath();
      ctx.arc(sx, sy, rm + 4 * this.dpr, 0, Math.PI * 2);
      ctx.stroke();
    }
  }

  private setHovered(i: number): void {
    if (i === this.hovered) return;
    this.hovered = i;
    this.lamps.style.cursor = i >= 0 ? 'pointer' : 'grab';
    const at = i >= 0 ? (this.pointOf(i) ?? { x: 0, y: 0 }) : { x: 0, y: 0 };
    this.opts.onHover?.(i, at);
    this.invalidate();
  }

  private hitTest(sx: number, sy: number): number {
    const p = this.ensureProjected();
    if (!p || !this.grid) return -1;
    const radiusPx = Math.max(8, this.radius() + 4);
    return this.grid.nearest(
      this.viewport.wx(sx),
      this.viewport.wy(sy),
      radiusPx / this.viewport.scale,
    );
  }

  private bindInput(signal: AbortSignal): void {
    const c = this.lamps;
    let drag: { x: number; y: number; moved: boolean; box: boolean; id: number } | undefined;
    const local = (e: PointerEvent | WheelEvent | MouseEvent) => {
      const r = c.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    c.addEventListener(
      'pointerdown',
      (e) => {
        if (e.button !== 0) return;
        const at = local(e);
        drag = {
          ...at,
          moved: false,
          box: e.shiftKey && this.opts.onSelect !== undefined,
          id: e.pointerId,
        };
        c.setPointerCapture(e.pointerId);
      },
      { signal },
    );
    c.addEventListener(
      'pointermove',
      (e) => {
        const at = local(e);
        if (drag && drag.id === e.pointerId) {
          const dx = at.x - drag.x;
          const dy = at.y - drag.y;
          if (!drag.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) return;
          drag.moved = true;
          if (drag.box) {
            this.box.hidden = false;
            Object.assign(this.box.style, {
              left: `${Math.min(at.x, drag.x)}px`,
              top: `${Math.min(at.y, drag.y)}px`,
              width: `${Math.abs(dx)}px`,
              height: `${Math.abs(dy)}px`,
            });
            return;
          }
          this.viewport.panBy(dx, dy);
          drag.x = at.x;
          drag.y = at.y;
          this.baseDirty = true;
          this.setHovered(-1);
          this.invalidate();
          return;
        }
        this.setHovered(this.hitTest(at.x, at.y));
      },
      { signal },
    );
    c.addEventListener(
      'pointerup',
      (e) => {
        if (!drag || drag.id !== e.pointerId) return;
        const at = local(e);
        const was = drag;
        drag = undefined;
        this.box.hidden = true;
        if (was.box && was.moved) {
          const v = this.viewport;
          const xs = [v.wx(was.x), v.wx(at.x)];
          const ys = [v.wy(was.y), v.wy(at.y)];
          const picked =
            this.grid?.inRect(Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)) ??
            [];
          this.opts.onSelect?.(picked);
          return;
        }
        if (!was.moved) {
          const i = this.hitTest(at.x, at.y);
          if (i >= 0) this.opts.onOpen?.(i);
        }
      },
      { signal },
    );
    c.addEventListener(
      'pointerleave',
      () => {
        if (!drag) this.setHovered(-1);
      },
      { signal },
    );
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const at = local(e);
        this.viewport.zoomAt(Math.exp(-e.deltaY * 0.0015), at.x, at.y);
        this.baseDirty = true;
        this.setHovered(this.hitTest(at.x, at.y));
        this.invalidate();
      },
      { signal, passive: false },
    );
    c.addEventListener(
      'keydown',
      (e) => {
        const step = 60;
        const keys: Record<string, () => void> = {
          ArrowLeft: () => this.viewport.panBy(step, 0),
          ArrowRight: () => this.viewport.panBy(-step, 0),
          ArrowUp: () => this.viewport.panBy(0, step),
          ArrowDown: () => this.viewport.panBy(0, -step),
          '+': () => this.viewport.zoomAt(1.4, this.viewport.width / 2, this.viewport.height / 2),
          '=': () => this.viewport.zoomAt(1.4, this.viewport.width / 2, this.viewport.height / 2),
          '-': () =>
            this.viewport.zoomAt(1 / 1.4, this.viewport.width / 2, this.viewport.height / 2),
          '0': () => this.ensureProjected() && this.viewport.fit(this.projected!.bounds),
        };
        if (e.key === 'Enter' && this.hovered >= 0) {
          this.opts.onOpen?.(this.hovered);
          return;
        }
        const act = keys[e.key];
        if (!act) return;
        e.preventDefault();
        act();
        this.baseDirty = true;
        // the lamp nearest the centre is the keyboard's "hover": Enter opens it
        this.setHovered(this.hitTest(this.viewport.width / 2, this.viewport.height / 2));
        this.invalidate();
      },
      { signal },
    );
  }
}

/** Median distance between consecutive posts of a segment, over at most 2,000 pairs. */
function typicalSpacing(t: LiveTable, p: Projected): number {
  const step = Math.max(1, Math.floor(t.size / 2000));
  const d: number[] = [];
  for (let i = step; i < t.size; i += step) {
    if (t.segment[i] !== t.segment[i - 1]) continue;
    const dist = Math.hypot(p.x[i]! - p.x[i - 1]!, p.y[i]! - p.y[i - 1]!);
    if (dist > 0 && dist < MAX_LINK_M) d.push(dist);
  }
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)] ?? 30;
}

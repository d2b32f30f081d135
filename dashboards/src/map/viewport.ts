/**
 * The map's view: a scale (CSS px per metre) and the world point at the canvas centre. Pure, so
 * pan and zoom arithmetic is tested without a browser. Screen y grows downwards, world y north.
 */
import type { Bounds } from './projection.ts';

export const MIN_SCALE = 0.0005;
export const MAX_SCALE = 40;

export class Viewport {
  scale = 1;
  cx = 0;
  cy = 0;
  width = 1;
  height = 1;

  resize(width: number, height: number): void {
    this.width = Math.max(1, width);
    this.height = Math.max(1, height);
  }

  /** Show all of `b` with `pad` CSS px around it. */
  fit(b: Bounds, pad = 24): void {
    const w = Math.max(b.maxX - b.minX, 1);
    const h = Math.max(b.maxY - b.minY, 1);
    this.scale = clamp(
      Math.min((this.width - 2 * pad) / w, (this.height - 2 * pad) / h),
      MIN_SCALE,
      MAX_SCALE,
    );
    this.cx = (b.minX + b.maxX) / 2;
    this.cy = (b.minY + b.maxY) / 2;
  }

  sx(x: number): number {
    return (x - this.cx) * this.scale + this.width / 2;
  }

  sy(y: number): number {
    return (this.cy - y) * this.scale + this.height / 2;
  }

  wx(sx: number): number {
    return (sx - this.width / 2) / this.scale + this.cx;
  }

  wy(sy: number): number {
    return this.cy - (sy - this.height / 2) / this.scale;
  }

  /** Move the view by a drag of (dx, dy) CSS px. */
  panBy(dx: number, dy: number): void {
    this.cx -= dx / this.scale;
    this.cy += dy / this.scale;
  }

  /** Zoom by `factor` keeping the world point under (sx, sy) where it is. */
  zoomAt(factor: number, sx: number, sy: number): void {
    const wx = this.wx(sx);
    const wy = this.wy(sy);
    this.scale = clamp(this.scale * factor, MIN_SCALE, MAX_SCALE);
    this.cx = wx - (sx - this.width / 2) / this.scale;
    this.cy = wy + (sy - this.height / 2) / this.scale;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

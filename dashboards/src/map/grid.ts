/**
 * A uniform grid over projected points for hover hit-tests and box selection: built once per
 * registry in O(n), then a lookup visits only the cells around the pointer, so hovering over
 * 100,000 lamps costs the same as over 280.
 */
import type { Bounds } from './projection.ts';

export class SpatialGrid {
  private readonly cols: number;
  private readonly rows: number;
  private readonly cell: number;
  /** Items of cell c are items[start[c]] .. items[start[c + 1] - 1] (compressed rows). */
  private readonly start: Int32Array;
  private readonly items: Int32Array;

  constructor(
    private readonly x: Float32Array,
    private readonly y: Float32Array,
    private readonly bounds: Bounds,
    /** About this many points per cell on average. */
    perCell = 8,
  ) {
    const n = x.length;
    const w = Math.max(bounds.maxX - bounds.minX, 1);
    const h = Math.max(bounds.maxY - bounds.minY, 1);
    const cells = Math.max(1, Math.ceil(n / perCell));
    this.cell = Math.max(Math.sqrt((w * h) / cells), 1);
    this.cols = Math.max(1, Math.ceil(w / this.cell) + 1);
    this.rows = Math.max(1, Math.ceil(h / this.cell) + 1);
    const count = new Int32Array(this.cols * this.rows + 1);
    const cellOf = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = this.cellIndex(x[i]!, y[i]!);
      cellOf[i] = c;
      count[c + 1]! += 1;
    }
    for (let c = 1; c < count.length; c++) count[c]! += count[c - 1]!;
    this.start = count.slice();
    const fill = count.slice();
    this.items = new Int32Array(n);
    for (let i = 0; i < n; i++) this.items[fill[cellOf[i]!]!++] = i;
  }

  private col(px: number): number {
    return Math.min(this.cols - 1, Math.max(0, Math.floor((px - this.bounds.minX) / this.cell)));
  }

  private row(py: number): number {
    return Math.min(this.rows - 1, Math.max(0, Math.floor((py - this.bounds.minY) / this.cell)));
  }

  private cellIndex(px: number, py: number): number {
    return this.row(py) * this.cols + this.col(px);
  }

  /** The point nearest to (px, py) within `radius` (world units), or -1. */
  nearest(px: number, py: number, radius: number): number {
    let best = -1;
    let bestD = radius * radius;
    const c0 = this.col(px - radius);
    const c1 = this.col(px + radius);
    const r0 = this.row(py - radius);
    const r1 = this.row(py + radius);
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.cols + c;
        for (let k = this.start[cell]!; k < this.start[cell + 1]!; k++) {
          const i = this.items[k]!;
          const dx = this.x[i]! - px;
          const dy = this.y[i]! - py;
          const d = dx * dx + dy * dy;
          if (d <= bestD) {
            bestD = d;
            best = i;
          }
        }
      }
    }
    return best;
  }

  /** Every point inside the rectangle (world units), for box selection. */
  inRect(minX: number, minY: number, maxX: number, maxY: number): number[] {
    const out: number[] = [];
    for (let r = this.row(minY); r <= this.row(maxY); r++) {
      for (let c = this.col(minX); c <= this.col(maxX); c++) {
        const cell = r * this.cols + c;
        for (let k = this.start[cell]!; k < this.start[cell + 1]!; k++) {
          const i = this.items[k]!;
          const px = this.x[i]!;
          const py = this.y[i]!;
          if (px >= minX && px <= maxX && py >= minY && py <= maxY) out.push(i);
        }
      }
    }
    return out;
  }
}

/**
 * How a lamp looks on the map. Normal lamps are dots coloured by their live level; lamps in
 * trouble get a shape of their own as well as a colour, so they stay distinguishable without
 * colour vision: failure a red triangle, supply loss an orange square, day-burning a magenta
 * sun, comms lost a cyan diamond, offline a grey ring.
 */
import { FLAG, OFFLINE, ONLINE } from '../live/LiveTable.ts';

export const MARK = {
  normal: 0,
  noData: 1,
  offline: 2,
  commsLost: 3,
  dayBurning: 4,
  supplyLoss: 5,
  lampFailure: 6,
} as const;
export type Mark = (typeof MARK)[keyof typeof MARK];

/** The most serious condition wins the lamp's mark. */
export function markOf(status: number, flags: number, level: number): Mark {
  if (flags & FLAG.lampFailure) return MARK.lampFailure;
  if (flags & FLAG.supplyLoss) return MARK.supplyLoss;
  if (flags & FLAG.dayBurning) return MARK.dayBurning;
  if (flags & FLAG.commsLost) return MARK.commsLost;
  if (status === OFFLINE) return MARK.offline;
  if (status !== ONLINE || Number.isNaN(level)) return MARK.noData;
  return MARK.normal;
}

export const MAP_BG = '#0f1b26';
export const ROUTE_LINE = '#2b3f50';
export const NO_DATA = '#56626e';

export const MARK_STYLE: Record<Exclude<Mark, 0 | 1>, { colour: string; label: string }> = {
  [MARK.lampFailure]: { colour: '#ff4d4f', label: 'Lamp failure' },
  [MARK.supplyLoss]: { colour: '#ff9f1a', label: 'Supply loss' },
  [MARK.dayBurning]: { colour: '#ff5fd2', label: 'Day-burning' },
  [MARK.commsLost]: { colour: '#3fd0ff', label: 'Comms lost' },
  [MARK.offline]: { colour: '#a3adb8', label: 'Offline' },
};

/** Level buckets of 5 %: 0 (off), then 1-5 ... 96-100. */
export const LEVEL_BUCKETS = 21;

export function bucketOf(level: number): number {
  if (!(level > 0)) return 0;
  return Math.min(LEVEL_BUCKETS - 1, Math.ceil(level / 5));
}

/** Off is a dim slate; on runs from a dim amber to a bright warm yellow. */
function rgbOfBucket(b: number): [number, number, number] {
  if (b === 0) return [0x4a, 0x58, 0x68];
  const t = (b - 1) / (LEVEL_BUCKETS - 2);
  const lerp = (a: number, z: number) => Math.round(a + (z - a) * t);
  return [lerp(0x7a, 0xff), lerp(0x5c, 0xe0), lerp(0x1e, 0x5a)];
}

export const BUCKET_RGB: readonly (readonly [number, number, number])[] = Array.from(
  { length: LEVEL_BUCKETS },
  (_, b) => rgbOfBucket(b),
);
export const BUCKET_CSS = BUCKET_RGB.map(([r, g, b]) => `rgb(${r} ${g} ${b})`);

/** Draw a trouble mark centred at (x, y) with radius r (device px). */
export function drawMark(
  ctx: CanvasRenderingContext2D,
  mark: Mark,
  x: number,
  y: number,
  r: number,
) {
  const lw = Math.max(1.5, r / 3);
  ctx.lineWidth = lw;
  switch (mark) {
    case MARK.lampFailure: {
      ctx.beginPath();
      ctx.moveTo(x, y - r * 1.15);
      ctx.lineTo(x + r, y + r * 0.75);
      ctx.lineTo(x - r, y + r * 0.75);
      ctx.closePath();
      ctx.fillStyle = MARK_STYLE[mark].colour;
      ctx.fill();
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = Math.max(1, lw / 2);
      ctx.stroke();
      return;
    }
    case MARK.supplyLoss: {
      const s = r * 0.85;
      ctx.fillStyle = MAP_BG;
      ctx.fillRect(x - s, y - s, 2 * s, 2 * s);
      ctx.strokeStyle = MARK_STYLE[mark].colour;
      ctx.strokeRect(x - s, y - s, 2 * s, 2 * s);
      return;
    }
    case MARK.dayBurning: {
      ctx.strokeStyle = MARK_STYLE[mark].colour;
      ctx.fillStyle = MARK_STYLE[mark].colour;
      ctx.beginPath();
      ctx.arc(x, y, r * 0.5, 0, Math.PI * 2);
      ctx.fill();
      ctx.beginPath();
      for (let k = 0; k < 8; k++) {
        const a = (k * Math.PI) / 4;
        ctx.moveTo(x + Math.cos(a) * r * 0.75, y + Math.sin(a) * r * 0.75);
        ctx.lineTo(x + Math.cos(a) * r * 1.25, y + Math.sin(a) * r * 1.25);
      }
      ctx.lineWidth = Math.max(1, lw * 0.7);
      ctx.stroke();
      return;
    }
    case MARK.commsLost: {
      ctx.beginPath();
      ctx.moveTo(x, y - r * 1.1);
      ctx.lineTo(x + r * 1.1, y);
      ctx.lineTo(x, y + r * 1.1);
      ctx.lineTo(x - r * 1.1, y);
      ctx.closePath();
      ctx.fillStyle = MAP_BG;
      ctx.fill();
      ctx.strokeStyle = MARK_STYLE[mark].colour;
      ctx.stroke();
      return;
    }
    case MARK.offline: {
      ctx.beginPath();
      ctx.arc(x, y, r * 0.8, 0, Math.PI * 2);
      ctx.fillStyle = MAP_BG;
      ctx.fill();
      ctx.strokeStyle = MARK_STYLE[mark].colour;
      ctx.stroke();
      return;
    }
    default:
      return;
  }
}

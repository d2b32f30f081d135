/**
 * Every lamp the principal may see, as typed arrays indexed by the lamp's position in the
 * registry answer (`/api/lamps/columns`): positions, ids, and the latest live values. Typed arrays keep
 * 100,000 lamps in a few MB and let the map draw without touching an object per lamp.
 * Missing values are NaN.
 */
import { lampColumns } from '../../../shared/registry/columns.ts';
import type { LampPost } from '../../../shared/registry/index.ts';

export type RegistryLamp = LampPost & { vendorId: string };
/** The registry's columns, as JSON arrays or as the binary answer's typed arrays. */
export interface RegistryColumns {
  approximate: boolean;
  ids: readonly string[];
  lon: ArrayLike<number>;
  lat: ArrayLike<number>;
  segments: readonly string[];
  vendors: readonly string[];
  models: readonly string[];
  segment: ArrayLike<number>;
  vendor: ArrayLike<number>;
  model: ArrayLike<number>;
}

/** Status codes, in the order the gateway's live frames use. */
export const STATUS = ['unknown', 'online', 'offline'] as const;
export type StatusName = (typeof STATUS)[number];
export const ONLINE = 1;
export const OFFLINE = 2;

/** Bits of `flags`: what the active alarms say about a lamp. */
export const FLAG = {
  lampFailure: 1,
  supplyLoss: 2,
  dayBurning: 4,
  commsLost: 8,
  powerDeviation: 16,
  commandNotAcked: 32,
} as const;

export class LiveTable {
  ids: string[] = [];
  readonly indexOf = new Map<string, number>();
  lon: Float64Array = new Float64Array(0);
  lat: Float64Array = new Float64Array(0);
  /** Index into `segments`, `vendors`, `models`. */
  segment: Uint16Array = new Uint16Array(0);
  vendor: Uint16Array = new Uint16Array(0);
  model: Uint16Array = new Uint16Array(0);
  segments: string[] = [];
  vendors: string[] = [];
  models: string[] = [];
  status = new Uint8Array(0);
  statusTs = new Float64Array(0);
  ts = new Float64Array(0);
  level = new Float32Array(0);
  target = new Float32Array(0);
  power = new Float32Array(0);
  voltage = new Float32Array(0);
  current = new Float32Array(0);
  energy = new Float64Array(0);
  lux = new Float32Array(0);
  seq = new Float64Array(0);
  flags = new Uint8Array(0);
  approximate = false;
  /** Bumped on every change; views compare it to skip redundant work. */
  version = 0;

  get size(): number {
    return this.ids.length;
  }

  /** The registry as objects (tests, small labs): the same as its columns. */
  setRegistry(lamps: readonly RegistryLamp[], approximate: boolean): void {
    this.setRegistryColumns({ approximate, ...lampColumns(lamps, (l) => l.vendorId) });
  }

  /**
   * The registry as the gateway's columns (`/api/lamps/columns?format=binary`): what 100,000
   * lamps load. Typed arrays are taken as they are (the decoder made them for this table).
   */
  setRegistryColumns(c: RegistryColumns): void {
    const n = c.ids.length;
    this.approximate = c.approximate;
    this.ids = [...c.ids];
    this.indexOf.clear();
    for (const [i, id] of this.ids.entries()) this.indexOf.set(id, i);
    this.lon = c.lon instanceof Float64Array ? c.lon : Float64Array.from(c.lon);
    this.lat = c.lat instanceof Float64Array ? c.lat : Float64Array.from(c.lat);
    this.segment = c.segment instanceof Uint16Array ? c.segment : Uint16Array.from(c.segment);
    this.vendor = c.vendor instanceof Uint16Array ? c.vendor : Uint16Array.from(c.vendor);
    this.model = c.model instanceof Uint16Array ? c.model : Uint16Array.from(c.model);
    this.segments = [...c.segments];
    this.vendors = [...c.vendors];
    this.models = [...c.models];
    this.status = new Uint8Array(n);
    this.statusTs = new Float64Array(n).fill(Number.NaN);
    this.flags = new Uint8Array(n);
    const nan32 = () => new Float32Array(n).fill(Number.NaN);
    this.ts = new Float64Array(n).fill(Number.NaN);
    this.level = nan32();
    this.target = nan32();
    this.power = nan32();
    this.voltage = nan32();
    this.current = nan32();
    this.energy = new Float64Array(n).fill(Number.NaN);
    this.lux = nan32();
    this.seq = new Float64Array(n).fill(Number.NaN);
    this.version += 1;
  }

  /** One lamp's values as a plain object, for tooltips and detail panels. */
  row(i: number) {
    return {
      lampId: this.ids[i] ?? '',
      segmentId: this.segments[this.segment[i]!] ?? '',
      vendorId: this.vendors[this.vendor[i]!] ?? '',
      modelId: this.models[this.model[i]!] ?? '',
      status: STATUS[this.status[i]!] ?? 'unknown',
      ts: this.ts[i]!,
      level: this.level[i]!,
      target: this.target[i]!,
      power: this.power[i]!,
      voltage: this.voltage[i]!,
      current: this.current[i]!,
      energy: this.energy[i]!,
      lux: this.lux[i]!,
      flags: this.flags[i]!,
    };
  }
}

export type LampRow = ReturnType<LiveTable['row']>;

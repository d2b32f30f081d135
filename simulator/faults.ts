/**
 * Faults a lamp post can have, switchable from the CLI (`--fault kind:target[:k=v,...]`) and at run
 * time. Pure: parsing, and what each fault does to the light a lamp actually gives.
 */
import type { EventType } from '../shared/contract/index.ts';

export const FAULT_KINDS = [
  /** Light source dead: no light, standby power only, while the controller drives it. */
  'lampFailure',
  /** Driver ignores dim levels: full light whenever on. */
  'dimmingFailure',
  /** Lamp switches itself off and on (onS seconds on, offS off) while it should burn. */
  'cycling',
  /** Relay stuck closed: full light when the program says off (daylight). */
  'dayBurning',
  /** Mains gone on the segment: no light, 0 V; the node reports on its backup supply. */
  'supplyLoss',
  /** Silent: the lamp stays connected but publishes nothing and ignores commands. */
  'commsLoss',
  /** Device clock runs off: offsetMs now, growing by ppm. */
  'clockDrift',
  /** Malformed payloads on the telemetry topic, for robustness tests. */
  'garbage',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Parameters each kind understands, with defaults. */
export const FAULT_DEFAULTS: Record<FaultKind, Record<string, number>> = {
  lampFailure: {},
  dimmingFailure: {},
  cycling: { onS: 40, offS: 20 },
  dayBurning: {},
  supplyLoss: {},
  commsLoss: {},
  // 10 minutes ahead is past the contract's 5-minute future skew: the platform must reject it.
  clockDrift: { offsetMs: 600_000, ppm: 0 },
  garbage: {},
};

/** The TALQ event a lamp raises for a fault; null for faults that the lamp itself cannot see. */
export const FAULT_EVENT: Record<FaultKind, EventType | null> = {
  lampFailure: 'lampFailure',
  dimmingFailure: 'dimmingFailure',
  cycling: 'lampCycling',
  dayBurning: 'dayBurning',
  supplyLoss: 'supplyLoss',
  commsLoss: null,
  clockDrift: null,
  garbage: null,
};

export interface FaultSpec {
  kind: FaultKind;
  /** A lamp id, a segment id, or `*` for every lamp. */
  target: string;
  params: Record<string, number>;
}

/** A fault in force on one lamp, with the device time it began. */
export interface ActiveFault {
  kind: FaultKind;
  params: Record<string, number>;
  since: number;
}

export type ParsedFault = { ok: true; spec: FaultSpec } | { ok: false; reason: string };

/** Parse `kind:target[:key=value,key=value]`, e.g. `cycling:DOLL-0007:onS=30,offS=10`. */
export function parseFaultSpec(text: string): ParsedFault {
  const [kind, target, paramText, ...rest] = text.trim().split(':');
  if (rest.length > 0) return { ok: false, reason: `fault "${text}": too many ":"` };
  const k = FAULT_KINDS.find((f) => f === kind);
  if (!k)
    return { ok: false, reason: `fault "${text}": kind must be one of ${FAULT_KINDS.join(', ')}` };
  if (!target) return { ok: false, reason: `fault "${text}": name a lamp, a segment or *` };
  const params = { ...FAULT_DEFAULTS[k] };
  for (const pair of paramText ? paramText.split(',') : []) {
    const [key, value] = pair.split('=');
    const n = Number(value);
    if (!key || !(key in FAULT_DEFAULTS[k]) || value === undefined || !Number.isFinite(n)) {
      const known = Object.keys(FAULT_DEFAULTS[k]).join(', ') || 'none';
      return { ok: false, reason: `fault "${text}": bad parameter "${pair}" (known: ${known})` };
    }
    params[key] = n;
  }
  if (k === 'cycling' && (!((params.onS ?? 0) > 0) || !((params.offS ?? 0) > 0))) {
    return { ok: false, reason: `fault "${text}": onS and offS must be positive` };
  }
  return { ok: true, spec: { kind: k, target, params } };
}

/**
 * The light level a lamp gives when its controller drives it at `level` %, under its faults.
 * Cycling runs on the device clock from when the fault began.
 */
export function faultyLevel(faults: ReadonlyMap<FaultKind, ActiveFault>, level: number, t: number) {
  if (faults.size === 0) return level;
  if (faults.has('supplyLoss') || faults.has('lampFailure')) return 0;
  let out = level;
  if (faults.has('dimmingFailure') && out > 0) out = 100;
  if (faults.has('dayBurning') && out <= 0) out = 100;
  const cycling = faults.get('cycling');
  if (cycling && out > 0) {
    const on = (cycling.params.onS ?? 40) * 1000;
    const period = on + (cycling.params.offS ?? 20) * 1000;
    if ((t - cycling.since) % period >= on) out = 0;
  }
  return out;
}

/** Device clock error at device time t, ms. */
export function clockOffset(faults: ReadonlyMap<FaultKind, ActiveFault>, t: number): number {
  const drift = faults.get('clockDrift');
  if (!drift) return 0;
  return Math.round(
    (drift.params.offsetMs ?? 0) + ((t - drift.since) * (drift.params.ppm ?? 0)) / 1e6,
  );
}

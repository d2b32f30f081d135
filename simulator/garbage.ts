/**
 * Malformed payloads for robustness tests: each variant breaks the contract a different way, and
 * every one must be rejected (and dead-lettered) by the platform, never crash it.
 */
import { LIMITS, type Telemetry } from '../shared/contract/index.ts';

type Variant = (valid: Telemetry) => string;

/** A timestamp beyond the contract's range (year 2128). */
const ABSURD_TS = 5_000_000_000_000;

export const TELEMETRY_GARBAGE: readonly { name: string; make: Variant }[] = [
  { name: 'not JSON', make: (v) => `lamp ${v.lampId} level=${v.actualLevel}` },
  { name: 'truncated JSON', make: (v) => JSON.stringify(v).slice(0, 40) },
  { name: 'wrong type', make: (v) => JSON.stringify({ ...v, actualLevel: String(v.actualLevel) }) },
  { name: 'level out of range', make: (v) => JSON.stringify({ ...v, actualLevel: 140 }) },
  {
    name: 'missing field',
    make: (v) => {
      const { activePower: _dropped, ...rest } = v;
      return JSON.stringify(rest);
    },
  },
  { name: 'unknown field', make: (v) => JSON.stringify({ ...v, colour: 'amber' }) },
  {
    name: 'infinite number',
    make: (v) => JSON.stringify(v).replace(/"activePower":[^,}]+/, '"activePower":1e999'),
  },
  { name: 'other lamp id', make: (v) => JSON.stringify({ ...v, lampId: `${v.lampId}x` }) },
  { name: 'absurd timestamp', make: (v) => JSON.stringify({ ...v, ts: ABSURD_TS }) },
  { name: 'negative sequence', make: (v) => JSON.stringify({ ...v, seq: -1 }) },
  { name: 'array', make: (v) => JSON.stringify([v]) },
  { name: 'null', make: () => 'null' },
  {
    name: 'oversized',
    make: (v) => JSON.stringify({ ...v, pad: 'x'.repeat(LIMITS.maxPayloadBytes) }),
  },
];

export const BATCH_GARBAGE: readonly {
  name: string;
  make: (segmentId: string, controllerId: string, valid: Telemetry) => string;
}[] = [
  { name: 'not JSON', make: (s) => `{segment:${s}` },
  {
    name: 'empty readings',
    make: (s, c, v) => JSON.stringify({ segmentId: s, controllerId: c, ts: v.ts, readings: [] }),
  },
  {
    name: 'bad reading',
    make: (s, c, v) =>
      JSON.stringify({
        segmentId: s,
        controllerId: c,
        ts: v.ts,
        readings: [{ ...v, supplyVoltage: -5 }],
      }),
  },
  {
    name: 'other segment',
    make: (s, c, v) =>
      JSON.stringify({ segmentId: `${s}x`, controllerId: c, ts: v.ts, readings: [v] }),
  },
];

/** The n-th malformed telemetry payload (variants rotate). */
export function garbageTelemetry(n: number, valid: Telemetry): string {
  const v = TELEMETRY_GARBAGE[n % TELEMETRY_GARBAGE.length]!;
  return v.make(valid);
}

/** The n-th malformed segment batch payload. */
export function garbageBatch(n: number, segmentId: string, controllerId: string, valid: Telemetry) {
  return BATCH_GARBAGE[n % BATCH_GARBAGE.length]!.make(segmentId, controllerId, valid);
}

/**
 * Settings shared by the bad-input and abuse parts of the resilience suite: one seed, and run
 * counts that are short in the main test command (CI) and full under `npm run test:resilience`
 * (RESILIENCE_SCALE=full, the switch the fault part uses too). A failing property prints its seed and path; RESILIENCE_SEED replays it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The full suite: `npm run test:resilience` sets RESILIENCE_SCALE=full. */
export const FULL = process.env.RESILIENCE_SCALE === 'full';

/** The seed every property and generated message list starts from. */
export const SEED = Number(process.env.RESILIENCE_SEED ?? '16');

/** `short` runs in the main test command, `full` under test:resilience. */
export const runs = (short: number, full: number): number => (FULL ? full : short);

/** fast-check parameters: seeded, bounded, and quiet on success. */
export function params(short: number, full: number) {
  return { seed: SEED, numRuns: runs(short, full), endOnFailure: true } as const;
}

let gcFn: (() => void) | undefined;
/** Heap in use after a full collection, bytes: the figure a leak makes grow, RSS aside. */
export function heapAfterGc(): number {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
  return process.memoryUsage().heapUsed;
}

export const MB = 1024 * 1024;

/** A test's time limit: the full counts on a loaded 2-core machine take minutes, not seconds. */
export const timeoutMs = (short: number): number => (FULL ? 20 * short : short);

/**
 * Command response times from stored acknowledgements, so that a restarted gateway, or another
 * one behind the same load balancer, reports the same figures. The issue time of a command is
 * in its id (`cmd-<issuedAt base 36>-<random>`, made by the gateway that sent it) and therefore
 * in every stored ack; the response is the lamp's first answer (accepted or rejected) to it.
 * Ack times are the lamp's clock: a lamp whose clock is off skews its own samples.
 */
import type { StoredAck } from '../../../shared/storage/port.ts';

const COMMAND_ID = /^cmd-([0-9a-z]{6,12})-[0-9a-f]+$/;

/** When a command was issued, from its id; undefined for ids not made by a gateway. */
export function issuedAtOf(commandId: string): number | undefined {
  const m = COMMAND_ID.exec(commandId);
  if (!m) return undefined;
  const t = Number.parseInt(m[1]!, 36);
  return Number.isSafeInteger(t) ? t : undefined;
}

/** Longest response that still counts, ms: later first answers are lamps coming back online. */
export const MAX_RESPONSE_MS = 10 * 60_000;

/** Response time per lamp per command, ms, grouped by lamp. */
export function responseTimesByLamp(acks: readonly StoredAck[]): Map<string, number[]> {
  const first = new Map<string, { lampId: string; ms: number }>();
  for (const a of acks) {
    if (a.status === 'applied') continue;
    const issued = issuedAtOf(a.commandId);
    if (issued === undefined) continue;
    const ms = a.ts - issued;
    if (ms < 0 || ms > MAX_RESPONSE_MS) continue;
    const key = `${a.commandId}\u0000${a.lampId}`;
    const seen = first.get(key);
    if (!seen || ms < seen.ms) first.set(key, { lampId: a.lampId, ms });
  }
  const out = new Map<string, number[]>();
  for (const { lampId, ms } of first.values()) {
    const list = out.get(lampId);
    if (list) list.push(ms);
    else out.set(lampId, [ms]);
  }
  return out;
}

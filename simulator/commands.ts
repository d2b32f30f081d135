/**
 * Commands as a lamp controller handles them (TALQ semantics): an override replaces the previous
 * one and ramps to its level, a release returns to the program, a program assignment replaces the
 * on-device program. Invalid or expired commands get a rejected ack with the reason. Pure.
 */
import { type CommandAck, decodePayload, Id } from '../shared/contract/index.ts';
import {
  DEFAULT_FADE_MS,
  deviceTs,
  type LampState,
  levelAt,
  physicalLevel,
  retarget,
  targetAt,
} from './lamp.ts';

export interface CommandContext {
  /** Wall-clock now: command times (issuedAt, start, expiresAt) are on the issuer's clock. */
  wallNow: number;
  /** Device time now; the state has been advanced to it. */
  simNow: number;
  /** Maps a wall-clock instant onto device time (they differ in a sped-up run). */
  toSim: (wall: number) => number;
}

export type CommandResult =
  | { ok: true; acks: CommandAck[] }
  /** Rejected; `acks` is empty when the payload did not even carry a usable commandId. */
  | { ok: false; reason: string; acks: CommandAck[] };

const round1 = (x: number) => Math.round(x * 10) / 10;

function ack(
  s: LampState,
  ctx: CommandContext,
  commandId: string,
  status: CommandAck['status'],
  reason?: string,
): CommandAck {
  const a: CommandAck = {
    commandId,
    lampId: s.lamp.id,
    ts: deviceTs(s, ctx.simNow),
    status,
    actualLevel: round1(physicalLevel(s, ctx.simNow)),
  };
  if (reason !== undefined) a.reason = reason.slice(0, 256);
  return a;
}

/** The commandId of a payload the schema rejected, when it has a usable one. */
function salvageCommandId(payload: Uint8Array | string): string | null {
  try {
    const json = JSON.parse(
      typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'),
    );
    const id = Id.safeParse((json as { commandId?: unknown } | null)?.commandId);
    return id.success ? id.data : null;
  } catch {
    return null;
  }
}

/** Command ids a lamp remembers, to recognise a resent command. */
const RECENT_COMMANDS = 16;

function reject(
  s: LampState,
  ctx: CommandContext,
  commandId: string,
  reason: string,
): CommandResult {
  return { ok: false, reason, acks: [ack(s, ctx, commandId, 'rejected', reason)] };
}

export function handleCommand(
  s: LampState,
  payload: Uint8Array | string,
  ctx: CommandContext,
): CommandResult {
  const decoded = decodePayload('cmd', payload, { now: ctx.wallNow });
  if (!decoded.ok) {
    const reason = `invalid command: ${decoded.code}: ${decoded.reason}`;
    const id = salvageCommandId(payload);
    return id ? reject(s, ctx, id, reason) : { ok: false, reason, acks: [] };
  }
  const cmd = decoded.value;
  // The gateway resends a command whose ack it missed, and MQTT may deliver one twice: a command
  // already carried out is acknowledged again, never redone (it would undo a newer command or
  // restart a ramp).
  if (s.recentCommands.includes(cmd.commandId)) {
    const status = s.pendingApplied === cmd.commandId ? 'accepted' : 'applied';
    return { ok: true, acks: [ack(s, ctx, cmd.commandId, status)] };
  }
  if (s.faults.has('supplyLoss'))
    return reject(s, ctx, cmd.commandId, 'supply loss: the luminaire has no mains');
  if (cmd.type === 'override') {
    if (cmd.expiresAt !== undefined && cmd.expiresAt <= ctx.wallNow) {
      return reject(
        s,
        ctx,
        cmd.commandId,
        `expired: expiresAt ${new Date(cmd.expiresAt).toISOString()} has passed`,
      );
    }
    if (cmd.expiresAt !== undefined && cmd.start !== undefined && cmd.expiresAt <= cmd.start) {
      return reject(s, ctx, cmd.commandId, 'invalid command: expiresAt is not after start');
    }
    const startSim =
      cmd.start !== undefined && cmd.start > ctx.wallNow ? ctx.toSim(cmd.start) : ctx.simNow;
    s.override = {
      commandId: cmd.commandId,
      level: cmd.level,
      rampMs: cmd.rampMs,
      startSim,
      expiresSim: cmd.expiresAt === undefined ? null : ctx.toSim(cmd.expiresAt),
      begun: startSim <= ctx.simNow,
    };
    if (s.override.begun) retarget(s, ctx.simNow, cmd.level, cmd.rampMs);
  } else if (cmd.type === 'release') {
    s.override = null;
    retarget(s, ctx.simNow, targetAt(s, ctx.simNow), DEFAULT_FADE_MS);
  } else {
    s.program = cmd.program;
    if (!s.override) retarget(s, ctx.simNow, targetAt(s, ctx.simNow), DEFAULT_FADE_MS);
  }
  s.pendingApplied = cmd.commandId;
  s.recentCommands.push(cmd.commandId);
  if (s.recentCommands.length > RECENT_COMMANDS) s.recentCommands.shift();
  return { ok: true, acks: [ack(s, ctx, cmd.commandId, 'accepted')] };
}

/**
 * The `applied` ack once the lamp has reached its commanded level (called each tick for lamps with
 * a pending command; the state has been advanced to ctx.simNow). Null while still ramping.
 */
export function appliedAck(s: LampState, ctx: CommandContext): CommandAck | null {
  const id = s.pendingApplied;
  if (!id) return null;
  const o = s.override;
  if (o && o.commandId === id && !o.begun) return null;
  if (s.ramp && ctx.simNow < s.ramp.start + s.ramp.durationMs) return null;
  s.pendingApplied = null;
  s.level = levelAt(s, ctx.simNow);
  return ack(s, ctx, id, 'applied');
}

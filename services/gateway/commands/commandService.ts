import { randomBytes } from 'node:crypto';
import type { LampCommand, NightProgram } from '../../../shared/contract/index.ts';
import type { Registry } from '../../../shared/registry/index.ts';
import { checkAccess } from '../access.ts';
import { CommandRequest, type CommandSummary, type CommandTarget } from '../api.ts';
import type { AuditLog } from '../audit/AuditLog.ts';
import type { Limiter } from '../auth/rateLimiter.ts';
import type { Principal } from '../auth/roles.ts';
import { GatewayError, parseInput } from '../errors.ts';
import type { CommandBook } from './CommandBook.ts';

export interface CommandServiceDeps {
  registry: Registry;
  tracker: CommandBook;
  audit: AuditLog;
  limiter: Limiter;
  now: () => number;
}

export type CommandService = ReturnType<typeof createCommandService>;

export function newCommandId(now: number): string {
  return `cmd-${now.toString(36)}-${randomBytes(5).toString('hex')}`;
}

/** The lamps a target covers; 404 when the segment, vendor or lamp is not in the registry. */
export function resolveTarget(registry: Registry, target: CommandTarget): string[] {
  switch (target.kind) {
    case 'lamp':
      if (!registry.lamp(target.lampId))
        throw new GatewayError('not_found', `no lamp ${target.lampId}`);
      return [target.lampId];
    case 'lamps':
      for (const id of target.lampIds)
        if (!registry.lamp(id)) throw new GatewayError('not_found', `no lamp ${id}`);
      return [...new Set(target.lampIds)];
    case 'segments':
      for (const id of target.segmentIds)
        if (!registry.segment(id)) throw new GatewayError('not_found', `no segment ${id}`);
      return [...new Set(target.segmentIds)].flatMap((id) =>
        registry.lampsInSegment(id).map((l) => l.id),
      );
    case 'segment':
      if (!registry.segment(target.segmentId))
        throw new GatewayError('not_found', `no segment ${target.segmentId}`);
      return registry.lampsInSegment(target.segmentId).map((l) => l.id);
    case 'vendor':
      if (!registry.vendor(target.vendorId))
        throw new GatewayError('not_found', `no vendor ${target.vendorId}`);
      return registry.lampsOfVendor(target.vendorId).map((l) => l.id);
    case 'route':
      return registry.lamps.map((l) => l.id);
  }
}

export const OUTCOME = {
  acked: 'ok',
  partial: 'partial',
  rejected: 'rejected',
  timedOut: 'failed',
  pending: 'pending',
} as const;

/**
 * Issuing commands, shared by REST and the WebSocket so both apply the same checks: permission,
 * rate limit, body schema, target, then tracking and the audit entry.
 */
export function createCommandService(deps: CommandServiceDeps) {
  const { registry, tracker, audit, limiter, now } = deps;

  async function checkAllowed(p: Principal): Promise<void> {
    checkAccess(p, 'commands.send');
    if (!(await limiter.take(p.username))) {
      throw new GatewayError(
        'rate_limited',
        'too many commands',
        undefined,
        await limiter.retryAfterS(p.username),
      );
    }
  }

  async function issue(p: Principal, body: unknown): Promise<CommandSummary> {
    await checkAllowed(p);
    const req = parseInput(CommandRequest, body, 'command');
    const lampIds = resolveTarget(registry, req.target);
    if (lampIds.length === 0) throw new GatewayError('conflict', 'the target has no lamps');
    const base = { commandId: newCommandId(now()), issuedAt: now(), issuedBy: p.username };
    const command: LampCommand =
      req.action.type === 'override' ? { ...base, ...req.action } : { ...base, type: 'release' };
    if (
      command.type === 'override' &&
      command.expiresAt !== undefined &&
      command.expiresAt <= now()
    ) {
      throw new GatewayError('invalid', 'expiresAt is in the past', [
        { path: 'action.expiresAt', message: 'in the past' },
      ]);
    }
    const summary = await tracker.begin(command, req.target, lampIds);
    await audit.record({
      actor: p.username,
      action: 'command.issued',
      subject: command.commandId,
      lampCount: lampIds.length,
      outcome: 'pending',
      detail: { target: req.target, action: req.action },
    });
    return summary;
  }

  /**
   * Deliver a program to lamps as a tracked assignProgram command. `allowed`: the caller already
   * took the sender's permission and rate-limit token with `checkAllowed` (before changing
   * anything that the delivery must follow).
   */
  async function deliverProgram(
    p: Principal,
    program: NightProgram,
    target: CommandTarget,
    lampIds: string[],
    opts: { allowed?: boolean } = {},
  ) {
    if (!opts.allowed) await checkAllowed(p);
    const command: LampCommand = {
      commandId: newCommandId(now()),
      issuedAt: now(),
      issuedBy: p.username,
      type: 'assignProgram',
      program,
    };
    return tracker.begin(command, target, lampIds);
  }

  return { issue, deliverProgram, checkAllowed };
}

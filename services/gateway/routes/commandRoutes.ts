import { Router } from 'express';
import { z } from 'zod';
import { Id, NightProgram } from '../../../shared/contract/index.ts';
import { ProgramAssignRequest } from '../api.ts';
import { AUDIT_ACTIONS } from '../audit/AuditLog.ts';
import { type GatewayContext, lampVisible, principalOf, requirePermission } from '../context.ts';
import { HttpError, parseOr400 } from '../http/errors.ts';
import { compact } from '../http/query.ts';

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  status: z.enum(['pending', 'acked', 'partial', 'rejected', 'timedOut']).optional(),
  lampId: Id.optional(),
});

const AuditQueryParams = z.object({
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
  actor: z.string().max(64).optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  subject: z.string().max(160).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

/** Commands with ack tracking, night programs and the audit log. */
export function commandRoutes(ctx: GatewayContext): Router {
  const r = Router();
  const { registry, tracker, programs } = ctx;

  r.post('/commands', requirePermission('commands.send'), async (req, res) => {
    const summary = await ctx.commands.issue(principalOf(req), req.body);
    res.status(202).json({ ok: true, command: summary });
  });

  r.get('/commands', requirePermission('read'), (req, res) => {
    const p = principalOf(req);
    const q = parseOr400(ListQuery, req.query, 'query');
    const commands = tracker.list((s, lampIds) => {
      if (q.status !== undefined && s.status !== q.status) return false;
      const ids = [...lampIds()];
      if (q.lampId !== undefined && !ids.includes(q.lampId)) return false;
      // A vendor sees a command only when every lamp it went to is theirs.
      return p.role !== 'vendor' || ids.every((id) => lampVisible(p, registry.vendorOf(id)?.id));
    }, q.limit);
    res.json({ ok: true, count: commands.length, commands });
  });

  r.get('/commands/:commandId', requirePermission('read'), (req, res) => {
    const p = principalOf(req);
    const id = parseOr400(Id, req.params.commandId, 'command id');
    const summary = tracker.get(id);
    const lamps = tracker.lamps(id);
    if (!summary || !lamps) throw new HttpError(404, `no command ${id}`);
    if (
      p.role === 'vendor' &&
      !lamps.every((l) => lampVisible(p, registry.vendorOf(l.lampId)?.id))
    ) {
      throw new HttpError(404, `no command ${id}`);
    }
    res.json({ ok: true, command: summary, lamps });
  });

  r.get('/programs', requirePermission('read'), (_req, res) => {
    const list = programs.list().map((p) => ({ ...p, lampCount: programs.lampsOf(p.id).length }));
    res.json({ ok: true, count: list.length, programs: list });
  });

  r.post('/programs', requirePermission('programs.write'), async (req, res) => {
    const p = principalOf(req);
    const program = parseOr400(NightProgram, req.body, 'program');
    if (programs.get(program.id))
      throw new HttpError(409, `program ${program.id} exists; PUT to edit`);
    await programs.put(program);
    await ctx.audit.record({
      actor: p.username,
      action: 'program.created',
      subject: program.id,
      outcome: 'ok',
      detail: { program },
    });
    res.status(201).json({ ok: true, program });
  });

  r.put('/programs/:programId', requirePermission('programs.write'), async (req, res) => {
    const p = principalOf(req);
    const id = parseOr400(Id, req.params.programId, 'program id');
    const program = parseOr400(NightProgram, { ...req.body, id }, 'program');
    if (!programs.get(id)) throw new HttpError(404, `no program ${id}`);
    // An edited program goes out again to every lamp that runs it. The rate limit is checked
    // before the edit is saved: a 429 must not leave a stored program the lamps never got.
    const lampIds = programs.lampsOf(id);
    if (lampIds.length > 0) ctx.commands.checkAllowed(p);
    await programs.put(program);
    const delivery =
      lampIds.length > 0
        ? await ctx.commands.deliverProgram(p, program, { kind: 'route' }, lampIds, {
            allowed: true,
          })
        : undefined;
    await ctx.audit.record({
      actor: p.username,
      action: 'program.updated',
      subject: id,
      lampCount: lampIds.length,
      outcome: 'ok',
      detail: compact({ program, commandId: delivery?.commandId }),
    });
    res.json({ ok: true, program, delivery: delivery ?? null });
  });

  r.delete('/programs/:programId', requirePermission('programs.write'), async (req, res) => {
    const p = principalOf(req);
    const id = parseOr400(Id, req.params.programId, 'program id');
    const lampCount = programs.lampsOf(id).length;
    if (!(await programs.remove(id))) throw new HttpError(404, `no program ${id}`);
    await ctx.audit.record({
      actor: p.username,
      action: 'program.deleted',
      subject: id,
      lampCount,
      outcome: 'ok',
    });
    res.json({ ok: true });
  });

  r.post('/programs/:programId/assign', requirePermission('programs.write'), async (req, res) => {
    const p = principalOf(req);
    const id = parseOr400(Id, req.params.programId, 'program id');
    const body = parseOr400(ProgramAssignRequest, req.body, 'assignment');
    const program = programs.get(id);
    if (!program) throw new HttpError(404, `no program ${id}`);
    const lampIds = new Set<string>();
    for (const lampId of body.lampIds ?? []) {
      if (!registry.lamp(lampId)) throw new HttpError(404, `no lamp ${lampId}`);
      lampIds.add(lampId);
    }
    for (const segmentId of body.segmentIds ?? []) {
      if (!registry.segment(segmentId)) throw new HttpError(404, `no segment ${segmentId}`);
      for (const l of registry.lampsInSegment(segmentId)) lampIds.add(l.id);
    }
    const ids = [...lampIds];
    const target =
      body.segmentIds?.length === 1 && !body.lampIds?.length
        ? { kind: 'segment' as const, segmentId: body.segmentIds[0]! }
        : ids.length === 1
          ? { kind: 'lamp' as const, lampId: ids[0]! }
          : { kind: 'route' as const };
    const delivery = await ctx.commands.deliverProgram(p, program, target, ids);
    await programs.assign(id, ids);
    await ctx.audit.record({
      actor: p.username,
      action: 'program.assigned',
      subject: id,
      lampCount: ids.length,
      outcome: 'pending',
      detail: {
        commandId: delivery.commandId,
        segmentIds: body.segmentIds ?? [],
        lampIds: body.lampIds ?? [],
      },
    });
    res.status(202).json({ ok: true, command: delivery });
  });

  r.get('/audit', requirePermission('audit.read'), (req, res) => {
    const q = parseOr400(AuditQueryParams, req.query, 'query');
    const entries = ctx.audit.query(compact(q));
    res.json({ ok: true, count: entries.length, entries });
  });

  return r;
}

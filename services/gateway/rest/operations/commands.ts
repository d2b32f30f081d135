/** Commands with acknowledgement tracking, night programs. */
import { z } from 'zod';
import { Id, NightProgram } from '../../../../shared/contract/index.ts';
import { commandView, seesCommand } from '../../access.ts';
import {
  COMMAND_STATES,
  CommandRequest,
  type CommandTarget,
  ProgramAssignRequest,
} from '../../api.ts';
import { GatewayError } from '../../errors.ts';
import { compact } from '../../http/query.ts';
import {
  CommandDetailResponse,
  CommandResponse,
  CommandsResponse,
  OkResponse,
  ProgramResponse,
  ProgramsResponse,
  ProgramUpdatedResponse,
} from '../../responses.ts';
import { operation } from '../operation.ts';

const CommandListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  status: z.enum(COMMAND_STATES).optional(),
  lampId: Id.optional(),
});
const CommandIdParam = z.object({ commandId: Id });
const ProgramIdParam = z.object({ programId: Id });

export const COMMAND_OPERATIONS = [
  operation({
    id: 'sendCommand',
    method: 'post',
    path: '/api/commands',
    summary:
      'Override or release a lamp, lamps, a segment, segments, a vendor or the route (rate limited)',
    access: 'commands.send',
    // The command service checks it again: REST and the WebSocket share its checks.
    body: CommandRequest,
    response: CommandResponse,
    status: 202,
    rateLimited: true,
    handler: async ({ ctx, principal, body }) => {
      const command = await ctx.commands.issue(principal, body);
      return { ok: true, command };
    },
  }),
  operation({
    id: 'listCommands',
    method: 'get',
    path: '/api/commands',
    summary: 'Commands with status and round-trip time, newest first',
    access: 'read',
    query: CommandListQuery,
    response: CommandsResponse,
    status: 200,
    handler: async ({ ctx, principal: p, query: q }) => {
      const listed = await ctx.tracker.list((s, lampIds) => {
        if (q.status !== undefined && s.status !== q.status) return false;
        const ids = [...lampIds()];
        if (q.lampId !== undefined && !ids.includes(q.lampId)) return false;
        return seesCommand(p, ids, ctx.registry);
      }, q.limit);
      const commands = listed.map((c) => commandView(p, c));
      return { ok: true, count: commands.length, commands };
    },
  }),
  operation({
    id: 'getCommand',
    method: 'get',
    path: '/api/commands/{commandId}',
    summary: 'One command with the state of each of its lamps',
    access: 'read',
    params: CommandIdParam,
    response: CommandDetailResponse,
    status: 200,
    handler: async ({ ctx, principal: p, params }) => {
      const [summary, lamps] = await Promise.all([
        ctx.tracker.get(params.commandId),
        ctx.tracker.lamps(params.commandId),
      ]);
      // Another vendor's command is not there at all for a vendor.
      if (
        !summary ||
        !lamps ||
        !seesCommand(
          p,
          lamps.map((l) => l.lampId),
          ctx.registry,
        )
      )
        throw new GatewayError('not_found', `no command ${params.commandId}`);
      return { ok: true, command: commandView(p, summary), lamps };
    },
  }),
  operation({
    id: 'listPrograms',
    method: 'get',
    path: '/api/programs',
    summary: 'Night programs, the default one included, with how many lamps run each',
    access: 'read',
    response: ProgramsResponse,
    status: 200,
    handler: ({ ctx }) => {
      const { programs } = ctx;
      const list = programs.list().map((p) => ({
        ...p,
        lampCount: programs.lampsOf(p.id).length,
        isDefault: p.id === programs.defaultProgramId,
      }));
      return { ok: true, count: list.length, programs: list };
    },
  }),
  operation({
    id: 'createProgram',
    method: 'post',
    path: '/api/programs',
    summary: 'Create a night program',
    access: 'programs.write',
    body: NightProgram,
    response: ProgramResponse,
    status: 201,
    handler: async ({ ctx, principal: p, body: program }) => {
      if (ctx.programs.get(program.id))
        throw new GatewayError('conflict', `program ${program.id} exists; PUT to edit`);
      await ctx.programs.put(program);
      await ctx.audit.record({
        actor: p.username,
        action: 'program.created',
        subject: program.id,
        outcome: 'ok',
        detail: { program },
      });
      return { ok: true, program };
    },
  }),
  operation({
    id: 'updateProgram',
    method: 'put',
    path: '/api/programs/{programId}',
    summary: 'Edit a program; redelivered to its lamps (rate limited)',
    access: 'programs.write',
    params: ProgramIdParam,
    // The id comes from the path; a body's own id must agree with it.
    body: NightProgram.partial({ id: true }),
    response: ProgramUpdatedResponse,
    status: 200,
    rateLimited: true,
    handler: async ({ ctx, principal: p, params, body }) => {
      const id = params.programId;
      if (body.id !== undefined && body.id !== id)
        throw new GatewayError('invalid', 'the program id is the one in the path', [
          { path: 'id', message: `not ${id}` },
        ]);
      const program = { ...body, id };
      if (!ctx.programs.get(id)) throw new GatewayError('not_found', `no program ${id}`);
      // An edited program goes out again to every lamp that runs it. The rate limit is checked
      // before the edit is saved: a 429 must not leave a stored program the lamps never got.
      const lampIds = ctx.programs.lampsOf(id);
      if (lampIds.length > 0) await ctx.commands.checkAllowed(p);
      await ctx.programs.put(program);
      const delivery =
        lampIds.length > 0
          ? await ctx.commands.deliverProgram(p, program, targetOf(lampIds, []), lampIds, {
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
      return { ok: true, program, delivery: delivery ?? null };
    },
  }),
  operation({
    id: 'deleteProgram',
    method: 'delete',
    path: '/api/programs/{programId}',
    summary: 'Delete a program (not the default one)',
    access: 'programs.write',
    params: ProgramIdParam,
    response: OkResponse,
    status: 200,
    handler: async ({ ctx, principal: p, params }) => {
      const id = params.programId;
      if (id === ctx.programs.defaultProgramId)
        throw new GatewayError('conflict', `${id} is the default program; it cannot be deleted`);
      const lampCount = ctx.programs.lampsOf(id).length;
      if (!(await ctx.programs.remove(id))) throw new GatewayError('not_found', `no program ${id}`);
      await ctx.audit.record({
        actor: p.username,
        action: 'program.deleted',
        subject: id,
        lampCount,
        outcome: 'ok',
      });
      return { ok: true };
    },
  }),
  operation({
    id: 'assignProgram',
    method: 'post',
    path: '/api/programs/{programId}/assign',
    summary: 'Assign to lamps or segments; delivered over MQTT and tracked (rate limited)',
    access: 'programs.write',
    params: ProgramIdParam,
    body: ProgramAssignRequest,
    response: CommandResponse,
    status: 202,
    rateLimited: true,
    handler: async ({ ctx, principal: p, params, body }) => {
      const { registry, programs } = ctx;
      const program = programs.get(params.programId);
      if (!program) throw new GatewayError('not_found', `no program ${params.programId}`);
      const lampIds = new Set<string>();
      for (const lampId of body.lampIds ?? []) {
        if (!registry.lamp(lampId)) throw new GatewayError('not_found', `no lamp ${lampId}`);
        lampIds.add(lampId);
      }
      for (const segmentId of body.segmentIds ?? []) {
        if (!registry.segment(segmentId))
          throw new GatewayError('not_found', `no segment ${segmentId}`);
        for (const l of registry.lampsInSegment(segmentId)) lampIds.add(l.id);
      }
      const ids = [...lampIds];
      const target = body.lampIds?.length
        ? targetOf(ids, [])
        : targetOf(ids, body.segmentIds ?? []);
      const command = await ctx.commands.deliverProgram(p, program, target, ids);
      await programs.assign(program.id, ids);
      await ctx.audit.record({
        actor: p.username,
        action: 'program.assigned',
        subject: program.id,
        lampCount: ids.length,
        outcome: 'pending',
        detail: {
          commandId: command.commandId,
          segmentIds: body.segmentIds ?? [],
          lampIds: body.lampIds ?? [],
        },
      });
      return { ok: true, command };
    },
  }),
];

/** What a delivery was aimed at: the segments when it named only segments, else its lamps. */
function targetOf(lampIds: string[], segmentIds: string[]): CommandTarget {
  if (segmentIds.length === 1) return { kind: 'segment', segmentId: segmentIds[0]! };
  if (segmentIds.length > 1) return { kind: 'segments', segmentIds };
  if (lampIds.length === 1) return { kind: 'lamp', lampId: lampIds[0]! };
  return { kind: 'lamps', lampIds };
}

/** History, energy, events and alarms: reads through the storage port, scoped per caller. */
import { z } from 'zod';
import type { Alarm } from '../../../../shared/contract/index.ts';
import type { LampFilter, Store } from '../../../../shared/storage/port.ts';
import { QUERY_LIMITS } from '../../../../shared/storage/queries.ts';
import { alarmView, lampsMatching, scopeFilter, seesAlarm, vendorScope } from '../../access.ts';
import { AlarmAckRequest } from '../../api.ts';
import type { Principal } from '../../auth/roles.ts';
import type { GatewayContext } from '../../context.ts';
import { GatewayError } from '../../errors.ts';
import {
  compact,
  EnergyQueryParams,
  HistoryQueryParams,
  WindowQuery,
  windowOf,
} from '../../http/query.ts';
import {
  AlarmHistoryResponse,
  AlarmResponse,
  AlarmsResponse,
  EnergyResponse,
  EventsResponse,
  HistoryResponse,
} from '../../responses.ts';
import { operation } from '../operation.ts';

const DAY_MS = 24 * 3_600_000;
/** Most points one history request may return, so one request cannot exhaust memory. */
export const MAX_HISTORY_POINTS = 200_000;

const chunks = <T>(xs: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));

export function storeOf(ctx: GatewayContext): Store {
  if (!ctx.store) throw new GatewayError('unavailable', 'no storage configured');
  return ctx.store;
}

/** The query's lamp filter, narrowed to what the caller may see (403 beyond it). */
export function filterOf(ctx: GatewayContext, p: Principal, q: LampFilter): LampFilter {
  return scopeFilter(
    p,
    compact({
      lampIds: q.lampIds,
      segmentId: q.segmentId,
      vendorId: q.vendorId,
      modelId: q.modelId,
    }),
    ctx.registry,
  );
}

const AlarmIdParam = z.object({ alarmId: z.string().min(1).max(160) });

export const DATA_OPERATIONS = [
  operation({
    id: 'history',
    method: 'get',
    path: '/api/history',
    summary: 'A field over a window, bucketed and aggregated (at most 200,000 points)',
    access: 'read',
    query: HistoryQueryParams,
    response: HistoryResponse,
    status: 200,
    handler: async ({ ctx, principal, query: q }) => {
      const filter = filterOf(ctx, principal, q);
      const { from, to } = windowOf(q, ctx.now(), DAY_MS);
      if (to <= from)
        throw new GatewayError('invalid', 'from must be before to', [
          { path: 'from', message: 'after to' },
        ]);
      const lampCount = lampsMatching(ctx.registry, filter).length;
      if (((to - from) / q.bucketMs) * lampCount > MAX_HISTORY_POINTS) {
        throw new GatewayError(
          'invalid',
          `too many points: narrow the window, the lamps or raise bucketMs (limit ${MAX_HISTORY_POINTS})`,
          [{ path: 'bucketMs', message: 'too small for the window' }],
        );
      }
      const series = await storeOf(ctx).history({
        ...filter,
        field: q.field,
        from,
        to,
        bucketMs: q.bucketMs,
        agg: q.agg,
      });
      return { ok: true, field: q.field, agg: q.agg, bucketMs: q.bucketMs, from, to, series };
    },
  }),
  operation({
    id: 'energy',
    method: 'get',
    path: '/api/energy',
    summary: 'Energy per lamp, segment or vendor (night=YYYY-MM-DD: noon to noon UTC)',
    access: 'read',
    query: EnergyQueryParams,
    response: EnergyResponse,
    status: 200,
    handler: async ({ ctx, principal, query: q }) => {
      const filter = filterOf(ctx, principal, q);
      const { from, to } = windowOf(q, ctx.now(), DAY_MS);
      const rows = await storeOf(ctx).energy({ ...filter, from, to, groupBy: q.groupBy });
      return { ok: true, groupBy: q.groupBy, from, to, rows };
    },
  }),
  operation({
    id: 'events',
    method: 'get',
    path: '/api/events',
    summary: 'Lamp events in a window (default: the last day)',
    access: 'read',
    query: WindowQuery,
    response: EventsResponse,
    status: 200,
    handler: async ({ ctx, principal, query: q }) => {
      const filter = filterOf(ctx, principal, q);
      const { from, to } = windowOf(q, ctx.now(), DAY_MS);
      const events = await storeOf(ctx).events({ ...filter, from, to, limit: q.limit ?? 1000 });
      return { ok: true, from, to, count: events.length, events };
    },
  }),
  operation({
    id: 'activeAlarms',
    method: 'get',
    path: '/api/alarms',
    summary: 'Active alarms with their acknowledgements',
    access: 'read',
    response: AlarmsResponse,
    status: 200,
    handler: ({ ctx, principal }) => {
      const alarms = ctx.live
        .activeAlarms()
        .filter((a) => seesAlarm(principal, a, ctx.registry))
        .map((a) => alarmView(principal, a));
      return { ok: true, count: alarms.length, alarms };
    },
  }),
  operation({
    id: 'alarmHistory',
    method: 'get',
    path: '/api/alarms/history',
    summary: 'Raised and cleared alarms in a window (default: the last 7 days)',
    access: 'read',
    query: WindowQuery,
    response: AlarmHistoryResponse,
    status: 200,
    handler: async ({ ctx, principal, query: q }) => {
      const { registry } = ctx;
      const filter = filterOf(ctx, principal, q);
      const { from, to } = windowOf(q, ctx.now(), 7 * DAY_MS);
      const limit = q.limit ?? 1000;
      // Alarms carry only lamp and segment tags: a vendor or model filter becomes that vendor's
      // or model's lamps, asked in groups the store accepts, so the limit counts those alarms
      // and not everyone's.
      const { vendorId, modelId, ...storeFilter } = filter;
      const byLamps =
        storeFilter.lampIds === undefined && (vendorId !== undefined || modelId !== undefined);
      const groups = byLamps
        ? chunks(
            lampsMatching(registry, filter).map((l) => l.id),
            QUERY_LIMITS.maxLampIds,
          ).map((lampIds) => ({ ...storeFilter, lampIds }))
        : [storeFilter];
      const found: Alarm[] = [];
      for (const g of groups) {
        if (g.lampIds?.length === 0) continue;
        found.push(...(await storeOf(ctx).alarms({ ...g, from, to, limit })));
      }
      // A vendor also sees the segment alarms (no lamp) of the segments its lamps are on.
      const segmentAlarms: Alarm[] = [];
      if (vendorScope(principal) !== undefined && storeFilter.lampIds === undefined) {
        const segments = new Set(lampsMatching(registry, filter).map((l) => l.segmentId));
        for (const segmentId of segments)
          for (const a of await storeOf(ctx).alarms({ segmentId, from, to, limit }))
            if (a.lampId === undefined) segmentAlarms.push(a);
      }
      const alarms = [
        // a segment's alarm names no lamp: a vendor's or model's lamp query does not match it
        ...found.filter((a) => !byLamps || a.lampId !== undefined),
        ...segmentAlarms,
      ]
        .filter((a) => seesAlarm(principal, a, registry))
        .map((a) => alarmView(principal, a))
        .sort((a, b) => a.ts - b.ts || a.alarmId.localeCompare(b.alarmId))
        .slice(0, limit);
      return { ok: true, from, to, count: alarms.length, alarms };
    },
  }),
  operation({
    id: 'acknowledgeAlarm',
    method: 'post',
    path: '/api/alarms/{alarmId}/ack',
    summary: 'Acknowledge an active alarm',
    access: 'alarms.ack',
    params: AlarmIdParam,
    body: AlarmAckRequest,
    response: AlarmResponse,
    status: 200,
    handler: async ({ ctx, principal: p, params, body }) => {
      const held = ctx.live.activeAlarms().find((a) => a.alarmId === params.alarmId);
      if (!held || !seesAlarm(p, held, ctx.registry))
        throw new GatewayError('not_found', 'no such active alarm');
      if (held.acknowledgedBy !== undefined)
        throw new GatewayError('conflict', `already acknowledged by ${held.acknowledgedBy}`);
      const alarm = ctx.live.acknowledgeAlarm(params.alarmId, p.username, ctx.now())!;
      await ctx.audit.record({
        actor: p.username,
        action: 'alarm.acknowledged',
        subject: params.alarmId,
        outcome: 'ok',
        detail: compact({ note: body.note, lampId: held.lampId, segmentId: held.segmentId }),
      });
      return { ok: true, alarm };
    },
  }),
];

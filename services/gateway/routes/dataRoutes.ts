import { Router } from 'express';
import type { Alarm } from '../../../shared/contract/index.ts';
import type { LampFilter, Store } from '../../../shared/storage/port.ts';
import { QUERY_LIMITS } from '../../../shared/storage/queries.ts';
import { AlarmAckRequest } from '../api.ts';
import {
  type GatewayContext,
  lampVisible,
  principalOf,
  requirePermission,
  scopeFilter,
} from '../context.ts';
import { HttpError, parseOr400 } from '../http/errors.ts';
import {
  compact,
  EnergyQueryParams,
  HistoryQueryParams,
  WindowQuery,
  windowOf,
} from '../http/query.ts';

const DAY_MS = 24 * 3_600_000;

const chunks = <T>(xs: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));
/** Most points one history request may return, so one request cannot exhaust memory. */
const MAX_POINTS = 200_000;

/** History, energy, events and alarms: reads through the storage port, scoped per principal. */
export function dataRoutes(ctx: GatewayContext): Router {
  const r = Router();
  const { registry } = ctx;

  /** The query's lamp filter, narrowed to what the principal may see (403 beyond it). */
  const filterOf = (req: Parameters<typeof principalOf>[0], q: LampFilter) =>
    scopeFilter(
      principalOf(req),
      compact({
        lampIds: q.lampIds,
        segmentId: q.segmentId,
        vendorId: q.vendorId,
        modelId: q.modelId,
      }),
      registry,
    );

  /** The registry's lamps a filter covers, for the point limit (the store filters the same way). */
  function lampsMatching(f: LampFilter) {
    let lamps = f.lampIds
      ? f.lampIds.flatMap((id) => registry.lamp(id) ?? [])
      : f.segmentId !== undefined
        ? registry.lampsInSegment(f.segmentId)
        : f.vendorId !== undefined
          ? registry.lampsOfVendor(f.vendorId)
          : registry.lamps;
    if (f.segmentId !== undefined) lamps = lamps.filter((l) => l.segmentId === f.segmentId);
    if (f.modelId !== undefined) lamps = lamps.filter((l) => l.modelId === f.modelId);
    if (f.vendorId !== undefined)
      lamps = lamps.filter((l) => registry.model(l.modelId)?.vendorId === f.vendorId);
    return lamps;
  }

  function store(): Store {
    if (!ctx.store) throw new HttpError(503, 'no storage configured');
    return ctx.store;
  }

  r.get('/history', requirePermission('read'), async (req, res) => {
    const q = parseOr400(HistoryQueryParams, req.query, 'query');
    const filter = filterOf(req, q);
    const { from, to } = windowOf(q, ctx.now(), DAY_MS);
    if (to <= from)
      throw new HttpError(400, 'from must be before to', [{ path: 'from', message: 'after to' }]);
    const lampCount = lampsMatching(filter).length;
    if (((to - from) / q.bucketMs) * lampCount > MAX_POINTS) {
      throw new HttpError(
        400,
        `too many points: narrow the window, the lamps or raise bucketMs (limit ${MAX_POINTS})`,
        [{ path: 'bucketMs', message: 'too small for the window' }],
      );
    }
    const series = await store().history({
      ...filter,
      field: q.field,
      from,
      to,
      bucketMs: q.bucketMs,
      agg: q.agg,
    });
    res.json({ ok: true, field: q.field, agg: q.agg, bucketMs: q.bucketMs, from, to, series });
  });

  r.get('/energy', requirePermission('read'), async (req, res) => {
    const q = parseOr400(EnergyQueryParams, req.query, 'query');
    const filter = filterOf(req, q);
    const { from, to } = windowOf(q, ctx.now(), DAY_MS);
    const rows = await store().energy({ ...filter, from, to, groupBy: q.groupBy });
    res.json({ ok: true, groupBy: q.groupBy, from, to, rows });
  });

  r.get('/events', requirePermission('read'), async (req, res) => {
    const q = parseOr400(WindowQuery, req.query, 'query');
    const filter = filterOf(req, q);
    const { from, to } = windowOf(q, ctx.now(), DAY_MS);
    const events = await store().events({ ...filter, from, to, limit: q.limit ?? 1000 });
    res.json({ ok: true, from, to, count: events.length, events });
  });

  const alarmVisible = (req: Parameters<typeof principalOf>[0], a: Alarm) => {
    const p = principalOf(req);
    if (p.role !== 'vendor') return true;
    // Segment-wide alarms name no lamp: they concern every vendor on the segment, so vendors do
    // not see them (they could reveal other vendors' lamps' state).
    return a.lampId !== undefined && lampVisible(p, registry.vendorOf(a.lampId)?.id);
  };

  r.get('/alarms', requirePermission('read'), (req, res) => {
    const alarms = ctx.live.activeAlarms().filter((a) => alarmVisible(req, a));
    res.json({ ok: true, count: alarms.length, alarms });
  });

  r.get('/alarms/history', requirePermission('read'), async (req, res) => {
    const q = parseOr400(WindowQuery, req.query, 'query');
    const p = principalOf(req);
    const filter = scopeFilter(
      p,
      compact({ lampIds: q.lampIds, segmentId: q.segmentId, vendorId: q.vendorId }),
      registry,
    );
    const { from, to } = windowOf(q, ctx.now(), 7 * DAY_MS);
    const { vendorId, modelId: _m, ...storeFilter } = filter;
    const limit = q.limit ?? 1000;
    // Alarms carry no vendor tag: a vendor filter becomes the vendor's lamps, asked in groups the
    // store accepts, so the limit counts that vendor's alarms and not everyone's.
    const groups =
      vendorId !== undefined && storeFilter.lampIds === undefined
        ? chunks(
            registry.lampsOfVendor(vendorId).map((l) => l.id),
            QUERY_LIMITS.maxLampIds,
          ).map((lampIds) => ({ ...storeFilter, lampIds }))
        : [storeFilter];
    const found: Alarm[] = [];
    for (const g of groups) {
      if (g.lampIds?.length === 0) continue;
      found.push(...(await store().alarms({ ...g, from, to, limit })));
    }
    const alarms = found
      .filter((a) => alarmVisible(req, a))
      .sort((a, b) => a.ts - b.ts || a.alarmId.localeCompare(b.alarmId))
      .slice(0, limit);
    res.json({ ok: true, from, to, count: alarms.length, alarms });
  });

  r.post('/alarms/:alarmId/ack', requirePermission('alarms.ack'), async (req, res) => {
    const body = parseOr400(AlarmAckRequest, req.body ?? {}, 'acknowledgement');
    const p = principalOf(req);
    const alarmId = String(req.params.alarmId).slice(0, 160);
    const held = ctx.live.activeAlarms().find((a) => a.alarmId === alarmId);
    if (!held || !alarmVisible(req, held)) throw new HttpError(404, 'no such active alarm');
    if (held.acknowledgedBy !== undefined)
      throw new HttpError(409, `already acknowledged by ${held.acknowledgedBy}`);
    const alarm = ctx.live.acknowledgeAlarm(alarmId, p.username, ctx.now());
    await ctx.audit.record({
      actor: p.username,
      action: 'alarm.acknowledged',
      subject: alarmId,
      outcome: 'ok',
      detail: compact({ note: body.note, lampId: held.lampId, segmentId: held.segmentId }),
    });
    res.json({ ok: true, alarm });
  });

  return r;
}

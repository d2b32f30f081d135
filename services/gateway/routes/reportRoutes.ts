import { Router } from 'express';
import { z } from 'zod';
import { Id } from '../../../shared/contract/index.ts';
import { QUERY_LIMITS } from '../../../shared/storage/queries.ts';
import { type GatewayContext, principalOf, requirePermission } from '../context.ts';
import { HttpError, parseOr400 } from '../http/errors.ts';
import { NIGHT, nightWindow } from '../http/query.ts';
import {
  buildModelReport,
  FAILURE_EVENTS,
  type ReportInputs,
  reportCsv,
} from '../reports/vendorReport.ts';

const DAY_MS = 24 * 3_600_000;

const ReportQuery = z.object({
  /** The last night in the report, YYYY-MM-DD; the night before today when absent. */
  night: NIGHT.optional(),
  nights: z.coerce.number().int().min(1).max(31).default(7),
  format: z.enum(['json', 'csv']).default('json'),
});

/** Vendor reports per luminaire model, as JSON or CSV. Vendors get only their own. */
export function reportRoutes(ctx: GatewayContext): Router {
  const r = Router();
  const { registry } = ctx;

  r.get('/reports/vendor/:vendorId', requirePermission('read'), async (req, res) => {
    const p = principalOf(req);
    const vendorId = parseOr400(Id, req.params.vendorId, 'vendor id');
    const q = parseOr400(ReportQuery, req.query, 'query');
    if (p.role === 'vendor' && p.vendorId !== vendorId)
      throw new HttpError(403, 'vendors see only their own report');
    const vendor = registry.vendor(vendorId);
    if (!vendor) throw new HttpError(404, `no vendor ${vendorId}`);
    if (!ctx.store) throw new HttpError(503, 'no storage configured');
    const store = ctx.store;
    const lastNight =
      q.night ?? new Date(ctx.now() - DAY_MS - 12 * 3_600_000).toISOString().slice(0, 10);
    const last = nightWindow(lastNight);
    const from = last.to - q.nights * DAY_MS;
    const nightEnergy: ReportInputs['nightEnergy'] = [];
    for (let i = 0; i < q.nights; i++) {
      const w = { from: from + i * DAY_MS, to: from + (i + 1) * DAY_MS };
      // The whole route, grouped per lamp: the route median needs every vendor's lamps. Only
      // the median leaves this function, never another vendor's figures.
      const rows = await store.energy({ ...w, groupBy: 'lamp' });
      nightEnergy.push({
        night: new Date(w.from).toISOString().slice(0, 10),
        byLamp: new Map(rows.map((x) => [x.key, x.kWh])),
      });
    }
    const bucketMs = Math.max(5 * 60_000, Math.ceil((last.to - from) / 500 / 60_000) * 60_000);
    const bucketCount = Math.ceil((last.to - from) / bucketMs);
    const rtts = ctx.tracker.rttsByLamp();
    const models = [];
    for (const model of registry.models.filter((m) => m.vendorId === vendorId)) {
      const lampIds = registry.lampsOfModel(model.id).map((l) => l.id);
      if (lampIds.length === 0) continue;
      const window = { modelId: model.id, from, to: last.to, bucketMs };
      const [targetLevel, activePower, events] = await Promise.all([
        store.history({ ...window, field: 'targetLevel', agg: 'mean' }),
        store.history({ ...window, field: 'activePower', agg: 'mean' }),
        store.events({ modelId: model.id, from, to: last.to, limit: QUERY_LIMITS.maxRows }),
      ]);
      models.push(
        buildModelReport({
          model,
          lampIds,
          nightEnergy,
          targetLevel,
          activePower,
          bucketCount,
          failureEvents: events.filter((e) => e.active && FAILURE_EVENTS.has(e.type)).length,
          rtts: lampIds.flatMap((id) => rtts.get(id) ?? []),
        }),
      );
    }
    if (q.format === 'csv') {
      res
        .type('text/csv')
        .setHeader(
          'Content-Disposition',
          `attachment; filename="gadelys-${vendorId}-${lastNight}.csv"`,
        );
      res.send(reportCsv(vendorId, models));
      return;
    }
    res.json({ ok: true, vendor, from, to: last.to, nights: q.nights, bucketMs, models });
  });

  return r;
}

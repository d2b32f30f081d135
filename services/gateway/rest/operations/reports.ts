/** Vendor reports per luminaire model, as JSON or CSV. Vendors get only their own. */
import { z } from 'zod';
import { Id } from '../../../../shared/contract/index.ts';
import { QUERY_LIMITS } from '../../../../shared/storage/queries.ts';
import { checkVendorVisible } from '../../access.ts';
import { GatewayError } from '../../errors.ts';
import { NIGHT, nightWindow } from '../../http/query.ts';
import {
  buildModelReport,
  FAILURE_EVENTS,
  type ReportInputs,
  reportCsv,
} from '../../reports/vendorReport.ts';
import { VendorReportResponse } from '../../responses.ts';
import { operation, RawAnswer } from '../operation.ts';
import { storeOf } from './data.ts';

const DAY_MS = 24 * 3_600_000;

const ReportQuery = z.object({
  /** The last night in the report, YYYY-MM-DD; the night before today when absent. */
  night: NIGHT.optional(),
  nights: z.coerce.number().int().min(1).max(31).default(7),
  format: z.enum(['json', 'csv']).default('json'),
});

export const REPORT_OPERATIONS = [
  operation({
    id: 'vendorReport',
    method: 'get',
    path: '/api/reports/vendor/{vendorId}',
    summary: 'Vendor report per luminaire model over the last nights (format=json|csv)',
    access: 'read',
    params: z.object({ vendorId: Id }),
    query: ReportQuery,
    response: VendorReportResponse,
    status: 200,
    alsoAnswers: [{ status: 200, contentType: 'text/csv', description: 'format=csv' }],
    handler: async ({ ctx, principal, params, query: q }) => {
      const { registry } = ctx;
      const { vendorId } = params;
      checkVendorVisible(principal, vendorId);
      const vendor = registry.vendor(vendorId);
      if (!vendor) throw new GatewayError('not_found', `no vendor ${vendorId}`);
      const store = storeOf(ctx);
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
        return new RawAnswer('text/csv; charset=utf-8', reportCsv(vendorId, models), {
          'Content-Disposition': `attachment; filename="gadelys-${vendorId}-${lastNight}.csv"`,
        });
      }
      return { ok: true, vendor, from, to: last.to, nights: q.nights, bucketMs, models };
    },
  }),
];

/** Vendor reports per luminaire model, as JSON or CSV. Vendors get only their own. */
import { z } from 'zod';
import { Id } from '../../../../shared/contract/index.ts';
import { checkVendorVisible } from '../../access.ts';
import { GatewayError } from '../../errors.ts';
import { NIGHT } from '../../http/query.ts';
import { loadVendorReport } from '../../reports/loadVendorReport.ts';
import { reportCsv } from '../../reports/vendorReport.ts';
import { VendorReportResponse } from '../../responses.ts';
import { operation, RawAnswer } from '../operation.ts';
import { storeOf } from './data.ts';

const ReportQuery = z.object({
  /** The last night in the report, YYYY-MM-DD; the night under way when absent. */
  night: NIGHT.optional(),
  nights: z.coerce.number().int().min(1).max(31).default(7),
  format: z.enum(['json', 'csv']).default('json'),
});

export const REPORT_OPERATIONS = [
  operation({
    id: 'vendorReport',
    method: 'get',
    path: '/api/reports/vendor/{vendorId}',
    summary:
      'Vendor report per luminaire model over the last nights that have data (format=json|csv)',
    access: 'read',
    params: z.object({ vendorId: Id }),
    query: ReportQuery,
    response: VendorReportResponse,
    status: 200,
    alsoAnswers: [{ status: 200, contentType: 'text/csv', description: 'format=csv' }],
    handler: async ({ ctx, principal, params, query: q }) => {
      const { vendorId } = params;
      checkVendorVisible(principal, vendorId);
      const vendor = ctx.registry.vendor(vendorId);
      if (!vendor) throw new GatewayError('not_found', `no vendor ${vendorId}`);
      const report = await loadVendorReport(
        { registry: ctx.registry, store: storeOf(ctx), now: ctx.now },
        vendor,
        q,
      );
      if (q.format === 'csv') {
        const name = report.nightsReported.at(-1) ?? q.night ?? 'empty';
        return new RawAnswer('text/csv; charset=utf-8', reportCsv(vendorId, report.models), {
          'Content-Disposition': `attachment; filename="gadelys-${vendorId}-${name}.csv"`,
        });
      }
      return report;
    },
  }),
];

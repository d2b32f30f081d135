/** Vendor reports per luminaire model, as JSON or CSV. Vendors get only their own. */
import { z } from 'zod';
import { Id } from '../../../../shared/contract/index.ts';
import { checkVendorVisible } from '../../access.ts';
import { GatewayError } from '../../errors.ts';
import { NIGHT } from '../../http/query.ts';
import { vendorReportHtml } from '../../reports/html.ts';
import { loadVendorReport } from '../../reports/loadVendorReport.ts';
import { REPORT_ALSO_ANSWERS, REPORT_FORMATS, reportAnswer } from '../../reports/outputs.ts';
import { reportCsv } from '../../reports/vendorReport.ts';
import { VendorReportResponse } from '../../responses.ts';
import { operation } from '../operation.ts';
import { storeOf } from './data.ts';

const ReportQuery = z.object({
  /** The last night in the report, YYYY-MM-DD; the night under way when absent. */
  night: NIGHT.optional(),
  nights: z.coerce.number().int().min(1).max(31).default(7),
  format: z.enum(REPORT_FORMATS).default('json'),
});

export const REPORT_OPERATIONS = [
  operation({
    id: 'vendorReport',
    method: 'get',
    path: '/api/reports/vendor/{vendorId}',
    summary:
      'Vendor report per luminaire model over the last nights that have data (format=json|csv|html|pdf)',
    access: 'read',
    params: z.object({ vendorId: Id }),
    query: ReportQuery,
    response: VendorReportResponse,
    status: 200,
    alsoAnswers: REPORT_ALSO_ANSWERS,
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
      const name = `gadelys-${vendorId}-${report.nightsReported.at(-1) ?? q.night ?? 'empty'}`;
      return reportAnswer(
        q.format,
        report,
        {
          csv: () => reportCsv(vendorId, report.models),
          html: () => vendorReportHtml(report, ctx.registry.source),
          renderPdf: ctx.renderPdf,
        },
        name,
      );
    },
  }),
];

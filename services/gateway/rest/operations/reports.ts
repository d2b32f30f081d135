/** Vendor reports per luminaire model, as JSON or CSV. Vendors get only their own. */
import { z } from 'zod';
import { Id } from '../../../../shared/contract/index.ts';
import { checkVendorVisible, seesVendor } from '../../access.ts';
import { GatewayError } from '../../errors.ts';
import { NIGHT } from '../../http/query.ts';
import { vendorReportHtml } from '../../reports/html.ts';
import { loadVendorReport } from '../../reports/loadVendorReport.ts';
import { REPORT_ALSO_ANSWERS, REPORT_FORMATS, reportAnswer } from '../../reports/outputs.ts';
import { FILE_NAME, ScheduleInput } from '../../reports/schedule.ts';
import { reportCsv } from '../../reports/vendorReport.ts';
import {
  OkResponse,
  ReportFilesResponse,
  ReportScheduleResponse,
  ReportSchedulesResponse,
  VendorReportResponse,
} from '../../responses.ts';
import { operation, RawAnswer } from '../operation.ts';
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

const ScheduleParams = z.object({ scheduleId: Id });

/** Scheduled reports and the files they made: operators schedule, vendors read their own files. */
export const SCHEDULE_OPERATIONS = [
  operation({
    id: 'listReportSchedules',
    method: 'get',
    path: '/api/reports/schedules',
    summary: 'Scheduled vendor reports',
    access: 'reports.schedule',
    response: ReportSchedulesResponse,
    status: 200,
    handler: ({ ctx }) => ({ ok: true as const, schedules: ctx.reports.schedules() }),
  }),
  operation({
    id: 'createReportSchedule',
    method: 'post',
    path: '/api/reports/schedules',
    summary:
      'Schedule a vendor report: each day for the last night, or each Monday for the last week',
    access: 'reports.schedule',
    body: ScheduleInput,
    response: ReportScheduleResponse,
    status: 201,
    handler: async ({ ctx, principal, body }) => {
      if (!ctx.registry.vendor(body.vendorId))
        throw new GatewayError('not_found', `no vendor ${body.vendorId}`);
      const schedule = await ctx.reports.add(body, principal.username);
      if (!schedule) throw new GatewayError('conflict', `schedule ${body.id} exists`);
      return { ok: true as const, schedule };
    },
  }),
  operation({
    id: 'deleteReportSchedule',
    method: 'delete',
    path: '/api/reports/schedules/{scheduleId}',
    summary: 'Stop a schedule (the files it made stay)',
    access: 'reports.schedule',
    params: ScheduleParams,
    response: OkResponse,
    status: 200,
    handler: async ({ ctx, params }) => {
      if (!(await ctx.reports.remove(params.scheduleId)))
        throw new GatewayError('not_found', `no schedule ${params.scheduleId}`);
      return { ok: true as const };
    },
  }),
  operation({
    id: 'listReportFiles',
    method: 'get',
    path: '/api/reports/files',
    summary: 'Report files made by schedules (vendors: their own), newest first',
    access: 'read',
    response: ReportFilesResponse,
    status: 200,
    handler: ({ ctx, principal }) => ({
      ok: true as const,
      files: ctx.reports
        .files()
        .filter((f) => seesVendor(principal, f.vendorId))
        .sort((a, b) => b.createdAt - a.createdAt || (a.name < b.name ? -1 : 1))
        .map((f) => ({ ...f, url: `/api/reports/files/${encodeURIComponent(f.name)}` })),
    }),
  }),
  operation({
    id: 'reportFile',
    method: 'get',
    path: '/api/reports/files/{name}',
    summary: 'One report file (PDF, CSV, HTML or JSON)',
    access: 'read',
    params: z.object({ name: z.string().regex(FILE_NAME, 'not a report file name') }),
    response: VendorReportResponse,
    status: 200,
    alsoAnswers: REPORT_ALSO_ANSWERS,
    handler: async ({ ctx, principal, params }) => {
      const found = await ctx.reports.read(params.name);
      if (!found) throw new GatewayError('not_found', `no report file ${params.name}`);
      checkVendorVisible(principal, found.file.vendorId);
      return new RawAnswer(found.contentType, found.body, {
        'Content-Disposition': `${found.file.format === 'html' ? 'inline' : 'attachment'}; filename="${found.file.name}"`,
      });
    },
  }),
];

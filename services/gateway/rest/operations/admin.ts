/** Vendor reports, the audit log and the inventory import. */
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { Id } from '../../../../shared/contract/index.ts';
import {
  formatImportError,
  importInventoryCsv,
  importInventoryGeoJson,
  savedInventoryPath,
} from '../../../../shared/registry/index.ts';
import { QUERY_LIMITS } from '../../../../shared/storage/queries.ts';
import { checkVendorVisible } from '../../access.ts';
import { InventoryImportRequest, MAX_INVENTORY_CHARS } from '../../api.ts';
import { AUDIT_ACTIONS } from '../../audit/AuditLog.ts';
import { GatewayError } from '../../errors.ts';
import { compact, NIGHT, nightWindow } from '../../http/query.ts';
import {
  buildModelReport,
  FAILURE_EVENTS,
  type ReportInputs,
  reportCsv,
} from '../../reports/vendorReport.ts';
import {
  AuditResponse,
  InventoryCheckedResponse,
  InventorySavedResponse,
  VendorReportResponse,
} from '../../responses.ts';
import { operation, RawAnswer, StatusAnswer } from '../operation.ts';
import { storeOf } from './data.ts';

const DAY_MS = 24 * 3_600_000;
/** Import problems returned at most; the message says how many there were. */
const MAX_ISSUES = 100;

const ReportQuery = z.object({
  /** The last night in the report, YYYY-MM-DD; the night before today when absent. */
  night: NIGHT.optional(),
  nights: z.coerce.number().int().min(1).max(31).default(7),
  format: z.enum(['json', 'csv']).default('json'),
});

const AuditQuery = z.object({
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
  actor: z.string().max(64).optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  subject: z.string().max(160).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

export const ADMIN_OPERATIONS = [
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
  operation({
    id: 'auditLog',
    method: 'get',
    path: '/api/audit',
    summary: 'Audit log of commands, programs, users, tokens and imports, newest last',
    access: 'audit.read',
    query: AuditQuery,
    response: AuditResponse,
    status: 200,
    handler: ({ ctx, query }) => {
      const entries = ctx.audit.query(compact(query));
      return { ok: true, count: entries.length, entries };
    },
  }),
  /**
   * An admin uploads a surveyed inventory (CSV or GeoJSON). It is validated against the catalog
   * exactly as INVENTORY_PATH is at start, every problem named by line (or feature) and field; a
   * good one is saved in the gateway's data folder, where every service picks it up at its next
   * start (the broker's credentials and every service's tags follow the registry, so it is not
   * swapped under running services).
   */
  operation({
    id: 'importInventory',
    method: 'post',
    path: '/api/registry/inventory',
    summary:
      'Import a surveyed inventory (CSV or GeoJSON); validated, applies from the next start (dryRun: only validate)',
    access: 'registry.manage',
    body: InventoryImportRequest,
    // an inventory is larger than any other body
    maxBodyBytes: MAX_INVENTORY_CHARS + 1024,
    response: InventorySavedResponse,
    status: 201,
    alsoAnswers: [{ status: 200, response: InventoryCheckedResponse, description: 'dryRun: true' }],
    handler: async ({ ctx, principal, body }) => {
      const actor = principal.username;
      const catalog = { vendors: [...ctx.registry.vendors], models: [...ctx.registry.models] };
      const result =
        body.format === 'csv'
          ? importInventoryCsv(body.content, catalog, 'upload')
          : importInventoryGeoJson(body.content, catalog, 'upload');
      if (!result.ok) {
        const first = formatImportError(result.errors[0]!);
        await ctx.audit.record({
          actor,
          action: 'registry.imported',
          subject: body.format,
          outcome: 'rejected',
          detail: { problems: result.errors.length, first },
        });
        throw new GatewayError(
          'invalid',
          `invalid inventory: ${result.errors.length} problem(s), first: ${first}`,
          result.errors
            .slice(0, MAX_ISSUES)
            .map((e) => ({ path: `${e.where}, field ${e.field}`, message: e.message })),
        );
      }
      const { lamps, segments } = result.inventory;
      const summary = { lamps: lamps.length, segments: segments.length };
      if (body.dryRun) return new StatusAnswer(200, { ok: true, dryRun: true, ...summary });
      const path = savedInventoryPath(ctx.dataDir, body.format);
      await writeFile(`${path}.tmp`, body.content);
      await rename(`${path}.tmp`, path);
      // One saved inventory at a time: a CSV replaces an earlier GeoJSON and the other way round.
      await rm(savedInventoryPath(ctx.dataDir, body.format === 'csv' ? 'geojson' : 'csv'), {
        force: true,
      });
      await ctx.audit.record({
        actor,
        action: 'registry.imported',
        subject: basename(path),
        lampCount: lamps.length,
        outcome: 'ok',
        detail: summary,
      });
      return { ok: true, saved: basename(path), appliesAt: 'next start', ...summary };
    },
  }),
];

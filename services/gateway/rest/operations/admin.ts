/** The audit log and the inventory import. */
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import {
  formatImportError,
  importInventoryCsv,
  importInventoryGeoJson,
  savedInventoryPath,
} from '../../../../shared/registry/index.ts';
import { InventoryImportRequest, MAX_INVENTORY_CHARS } from '../../api.ts';
import { AUDIT_ACTIONS } from '../../audit/AuditLog.ts';
import { GatewayError } from '../../errors.ts';
import { compact } from '../../http/query.ts';
import {
  AuditResponse,
  InventoryCheckedResponse,
  InventorySavedResponse,
} from '../../responses.ts';
import { operation, StatusAnswer } from '../operation.ts';

/** Import problems returned at most; the message says how many there were. */
const MAX_ISSUES = 100;

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
    id: 'auditLog',
    method: 'get',
    path: '/api/audit',
    summary: 'Audit log of commands, programs, users, tokens and imports, newest last',
    access: 'audit.read',
    query: AuditQuery,
    response: AuditResponse,
    status: 200,
    handler: async ({ ctx, query }) => {
      // In a cluster: first the other gateways' entries since the last look.
      await ctx.audit.sync();
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

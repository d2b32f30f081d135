import { rename, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import express, { type RequestHandler } from 'express';
import {
  formatImportError,
  importInventoryCsv,
  importInventoryGeoJson,
  savedInventoryPath,
} from '../../../shared/registry/index.ts';
import { InventoryImportRequest, MAX_INVENTORY_CHARS } from '../api.ts';
import { authenticate, type GatewayContext, principalOf, requirePermission } from '../context.ts';
import { HttpError, parseOr400 } from '../http/errors.ts';

/** Import errors returned at most; the count says how many there were. */
const MAX_ISSUES = 100;

/**
 * `POST /api/registry/inventory`: an admin uploads a surveyed inventory (CSV or GeoJSON). It is
 * validated against the catalog exactly as INVENTORY_PATH is at start, every problem named by
 * line (or feature) and field; a good one is saved in the gateway's data folder, where the lab
 * picks it up at its next start (the broker's credentials and every service's tags follow the
 * registry, so it is not swapped under running services).
 */
export function inventoryImport(ctx: GatewayContext, dataDir: string): RequestHandler[] {
  const handler: RequestHandler = async (req, res) => {
    const body = parseOr400(InventoryImportRequest, req.body, 'inventory import');
    const actor = principalOf(req).username;
    const catalog = { vendors: [...ctx.registry.vendors], models: [...ctx.registry.models] };
    const result =
      body.format === 'csv'
        ? importInventoryCsv(body.content, catalog, 'upload')
        : importInventoryGeoJson(body.content, catalog, 'upload');
    if (!result.ok) {
      await ctx.audit.record({
        actor,
        action: 'registry.imported',
        subject: body.format,
        outcome: 'rejected',
        detail: { problems: result.errors.length, first: formatImportError(result.errors[0]!) },
      });
      throw new HttpError(
        400,
        `invalid inventory: ${result.errors.length} problem(s), first: ${formatImportError(result.errors[0]!)}`,
        result.errors
          .slice(0, MAX_ISSUES)
          .map((e) => ({ path: `${e.where}, field ${e.field}`, message: e.message })),
      );
    }
    const { lamps, segments } = result.inventory;
    const summary = { lamps: lamps.length, segments: segments.length };
    if (body.dryRun) {
      res.json({ ok: true, dryRun: true, ...summary });
      return;
    }
    const path = savedInventoryPath(dataDir, body.format);
    await writeFile(`${path}.tmp`, body.content);
    await rename(`${path}.tmp`, path);
    // One saved inventory at a time: a CSV replaces an earlier GeoJSON and the other way round.
    await rm(savedInventoryPath(dataDir, body.format === 'csv' ? 'geojson' : 'csv'), {
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
    res.status(201).json({ ok: true, saved: basename(path), appliesAt: 'next start', ...summary });
  };
  return [
    authenticate(ctx),
    requirePermission('registry.manage'),
    // Ahead of the API's 64 kB JSON limit: an inventory is larger than any other body.
    express.json({ limit: MAX_INVENTORY_CHARS + 1024, strict: true }),
    handler,
  ];
}

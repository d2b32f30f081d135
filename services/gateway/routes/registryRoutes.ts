import { Router } from 'express';
import { z } from 'zod';
import { Id } from '../../../shared/contract/index.ts';
import type { LiveLamp } from '../api.ts';
import {
  assertLampVisible,
  type GatewayContext,
  lampVisible,
  principalOf,
  requirePermission,
} from '../context.ts';
import { HttpError, parseOr400 } from '../http/errors.ts';
import { LampListQuery } from '../http/query.ts';
import { toNgsiLd } from '../reports/fiware.ts';

/** Registry and live state. Vendors see their own lamps, models and vendor entry only. */
export function registryRoutes(ctx: GatewayContext): Router {
  const r = Router();
  const { registry, live } = ctx;
  r.use(requirePermission('read'));

  function visibleLamps(req: Parameters<typeof principalOf>[0]) {
    const p = principalOf(req);
    const q = parseOr400(LampListQuery, req.query, 'query');
    if (p.role === 'vendor' && q.vendorId !== undefined && q.vendorId !== p.vendorId) {
      throw new HttpError(403, 'vendors see only their own lamps');
    }
    const ids = q.lampIds ? new Set(q.lampIds) : undefined;
    return registry.lamps
      .map((lamp) => ({ lamp, state: live.get(lamp.id)! }))
      .filter(({ lamp, state }) => {
        if (!lampVisible(p, state.vendorId)) return false;
        if (ids && !ids.has(lamp.id)) return false;
        if (q.segmentId !== undefined && lamp.segmentId !== q.segmentId) return false;
        if (q.vendorId !== undefined && state.vendorId !== q.vendorId) return false;
        if (q.modelId !== undefined && lamp.modelId !== q.modelId) return false;
        if (q.status !== undefined && state.status !== q.status) return false;
        return true;
      });
  }

  r.get('/lamps', (req, res) => {
    const lamps = visibleLamps(req).map(({ lamp, state }) => ({
      ...lamp,
      vendorId: state.vendorId,
    }));
    res.json({ ok: true, approximate: registry.approximate, count: lamps.length, lamps });
  });

  r.get('/lamps/:lampId', (req, res) => {
    const id = parseOr400(Id, req.params.lampId, 'lamp id');
    const lamp = assertLampVisible(principalOf(req), id, registry);
    res.json({ ok: true, lamp, live: live.get(id), programId: ctx.programs.programOf(id) ?? null });
  });

  r.get('/live', (req, res) => {
    const lamps: LiveLamp[] = visibleLamps(req).map(({ state }) => state);
    res.json({ ok: true, count: lamps.length, lamps });
  });

  r.get('/segments', (req, res) => {
    const p = principalOf(req);
    const segments = registry.segments
      .map((s) => ({
        ...s,
        lampIds: s.lampIds.filter((id) => lampVisible(p, live.get(id)?.vendorId)),
        geometry: registry.segmentGeometry(s.id) ?? null,
      }))
      .filter((s) => s.lampIds.length > 0);
    res.json({ ok: true, count: segments.length, segments });
  });

  r.get('/vendors', (req, res) => {
    const p = principalOf(req);
    const vendors = registry.vendors
      .filter((v) => lampVisible(p, v.id))
      .map((v) => ({ ...v, lampCount: registry.lampsOfVendor(v.id).length }));
    res.json({ ok: true, count: vendors.length, vendors });
  });

  r.get('/models', (req, res) => {
    const p = principalOf(req);
    const q = parseOr400(z.object({ vendorId: Id.optional() }), req.query, 'query');
    const models = registry.models
      .filter(
        (m) =>
          lampVisible(p, m.vendorId) && (q.vendorId === undefined || m.vendorId === q.vendorId),
      )
      .map((m) => ({ ...m, lampCount: registry.lampsOfModel(m.id).length }));
    res.json({ ok: true, count: models.length, models });
  });

  r.get('/export/fiware', requirePermission('export'), (req, res) => {
    const entities = visibleLamps(req).map(({ lamp, state }) => toNgsiLd(lamp, state, registry));
    res.type('application/ld+json').json(entities);
  });

  return r;
}

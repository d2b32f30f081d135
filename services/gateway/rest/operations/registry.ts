/** Registry and live state. Vendors see their own lamps, models and vendor entry only. */
import { z } from 'zod';
import { Id } from '../../../../shared/contract/index.ts';
import {
  encodeColumnsBinary,
  LAMP_COLUMNS_BINARY_TYPE,
  lampColumns,
} from '../../../../shared/registry/columns.ts';
import { matchesFilter, scopeFilter, seesLamp, seesVendor, visibleLamp } from '../../access.ts';
import type { Principal } from '../../auth/roles.ts';
import type { GatewayContext } from '../../context.ts';
import { compact, LampListQuery } from '../../http/query.ts';
import { toNgsiLd } from '../../reports/fiware.ts';
import {
  FiwareExportResponse,
  LampColumnsResponse,
  LampResponse,
  LampsResponse,
  LiveResponse,
  ModelsResponse,
  SegmentsResponse,
  VendorsResponse,
} from '../../responses.ts';
import { operation, RawAnswer } from '../operation.ts';

export const LampIdParam = z.object({ lampId: Id });
const ModelsQuery = z.object({ vendorId: Id.optional() });
const LampColumnsQuery = LampListQuery.extend({
  /** `binary`: the typed-array layout of shared/registry/columns.ts (what the web app loads). */
  format: z.enum(['json', 'binary']).optional(),
});

/** Registry lamps with their live state, filtered by the query and scoped to the caller. */
function visibleLamps(ctx: GatewayContext, p: Principal, q: z.output<typeof LampListQuery>) {
  const { registry, live } = ctx;
  const filter = scopeFilter(
    p,
    compact({
      lampIds: q.lampIds,
      segmentId: q.segmentId,
      vendorId: q.vendorId,
      modelId: q.modelId,
    }),
    registry,
  );
  return registry.lamps
    .map((lamp) => ({ lamp, state: live.get(lamp.id)! }))
    .filter(
      ({ lamp, state }) =>
        matchesFilter(lamp, state.vendorId, filter) &&
        (q.status === undefined || state.status === q.status),
    );
}

export const REGISTRY_OPERATIONS = [
  operation({
    id: 'listLamps',
    method: 'get',
    path: '/api/lamps',
    summary: 'Registry lamps with filters',
    access: 'read',
    query: LampListQuery,
    response: LampsResponse,
    status: 200,
    handler: ({ ctx, principal, query }) => {
      const lamps = visibleLamps(ctx, principal, query).map(({ lamp, state }) => ({
        ...lamp,
        vendorId: state.vendorId,
      }));
      return { ok: true, approximate: ctx.registry.approximate, count: lamps.length, lamps };
    },
  }),
  operation({
    id: 'listLampColumns',
    method: 'get',
    path: '/api/lamps/columns',
    summary: 'Registry lamps with filters, as columns (what a map of 100,000 lamps loads)',
    access: 'read',
    query: LampColumnsQuery,
    response: LampColumnsResponse,
    status: 200,
    alsoAnswers: [
      {
        status: 200,
        contentType: LAMP_COLUMNS_BINARY_TYPE,
        description:
          'with format=binary: GLC1, u32 count, u32 head length, UTF-8 JSON head {approximate, ids, segments, vendors, models} padded to 8 bytes, then little-endian Float64 lon, Float64 lat, Uint16 segment, vendor, model (docs/gateway.md)',
      },
    ],
    handler: ({ ctx, principal, query }) => {
      const rows = visibleLamps(ctx, principal, query);
      const cols = lampColumns(
        rows.map((r) => r.lamp),
        (_lamp, i) => rows[i]!.state.vendorId,
      );
      // 100,000 lamps: a few ms as bytes, about a second as JSON with every number rounded
      if (query.format === 'binary')
        return new RawAnswer(
          LAMP_COLUMNS_BINARY_TYPE,
          encodeColumnsBinary(cols, ctx.registry.approximate),
        );
      return { ok: true, approximate: ctx.registry.approximate, count: rows.length, ...cols };
    },
  }),
  operation({
    id: 'getLamp',
    method: 'get',
    path: '/api/lamps/{lampId}',
    summary: 'One lamp with its live state and program',
    access: 'read',
    params: LampIdParam,
    response: LampResponse,
    status: 200,
    handler: ({ ctx, principal, params }) => {
      const lamp = visibleLamp(principal, params.lampId, ctx.registry);
      return {
        ok: true,
        lamp,
        live: ctx.live.get(lamp.id)!,
        programId: ctx.programs.programOf(lamp.id),
      };
    },
  }),
  operation({
    id: 'listLive',
    method: 'get',
    path: '/api/live',
    summary: 'Latest state per lamp',
    access: 'read',
    query: LampListQuery,
    response: LiveResponse,
    status: 200,
    handler: ({ ctx, principal, query }) => {
      const lamps = visibleLamps(ctx, principal, query).map(({ state }) => state);
      return { ok: true, count: lamps.length, lamps };
    },
  }),
  operation({
    id: 'listSegments',
    method: 'get',
    path: '/api/segments',
    summary: 'Segments with their lamps and line (vendors: their own lamps in them)',
    access: 'read',
    response: SegmentsResponse,
    status: 200,
    handler: ({ ctx, principal }) => {
      const { registry } = ctx;
      const segments = registry.segments
        .map((s) => ({
          ...s,
          lampIds: s.lampIds.filter((id) => seesLamp(principal, id, registry)),
          geometry:
            registry.segmentGeometry(s.id)?.map(([x, y]) => [x, y] as [number, number]) ?? null,
        }))
        .filter((s) => s.lampIds.length > 0);
      return { ok: true, count: segments.length, segments };
    },
  }),
  operation({
    id: 'listVendors',
    method: 'get',
    path: '/api/vendors',
    summary: 'Vendors with their lamp counts',
    access: 'read',
    response: VendorsResponse,
    status: 200,
    handler: ({ ctx, principal }) => {
      const vendors = ctx.registry.vendors
        .filter((v) => seesVendor(principal, v.id))
        .map((v) => ({ ...v, lampCount: ctx.registry.lampsOfVendor(v.id).length }));
      return { ok: true, count: vendors.length, vendors };
    },
  }),
  operation({
    id: 'listModels',
    method: 'get',
    path: '/api/models',
    summary: 'Luminaire models with their lamp counts',
    access: 'read',
    query: ModelsQuery,
    response: ModelsResponse,
    status: 200,
    handler: ({ ctx, principal, query }) => {
      const models = ctx.registry.models
        .filter(
          (m) =>
            seesVendor(principal, m.vendorId) &&
            (query.vendorId === undefined || m.vendorId === query.vendorId),
        )
        .map((m) => ({ ...m, lampCount: ctx.registry.lampsOfModel(m.id).length }));
      return { ok: true, count: models.length, models };
    },
  }),
  operation({
    id: 'exportFiware',
    method: 'get',
    path: '/api/export/fiware',
    summary: 'Registry and latest state as FIWARE Streetlight entities (NGSI-LD)',
    access: 'export',
    query: LampListQuery,
    response: FiwareExportResponse,
    contentType: 'application/ld+json',
    status: 200,
    handler: ({ ctx, principal, query }) =>
      new RawAnswer(
        'application/ld+json',
        visibleLamps(ctx, principal, query).map(({ lamp, state }) =>
          toNgsiLd(lamp, state, ctx.registry),
        ),
      ),
  }),
];

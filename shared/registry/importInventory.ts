import type { z } from 'zod';
import { Id } from '../contract/common.ts';
import { parseCsv } from './csv.ts';
import { haversineM } from './geo.ts';
import { type Catalog, LampPost } from './schemas.ts';

/** One problem in an imported inventory. `where` is `line 4` (CSV) or `feature 12` (GeoJSON). */
export interface ImportError {
  where: string;
  field: string;
  message: string;
}

export interface SegmentInfo {
  id: string;
  name: string;
  controllerId: string;
  /** Street geometry, [lon, lat] points, when the source has it. */
  coordinates?: [number, number][];
}

export interface Inventory {
  lamps: LampPost[];
  segments: SegmentInfo[];
  approximate: boolean;
  source: string;
}

export type ImportResult =
  | { ok: true; inventory: Inventory }
  | { ok: false; errors: ImportError[] };

/** Columns of the CSV inventory; the first six are required. */
export const CSV_COLUMNS = [
  'id',
  'lon',
  'lat',
  'segmentId',
  'controllerId',
  'modelId',
  'distanceM',
  'poleHeightM',
  'segmentName',
] as const;
const REQUIRED_COLUMNS = CSV_COLUMNS.slice(0, 6);
const NUMERIC = new Set(['lon', 'lat', 'distanceM', 'poleHeightM']);
const DEFAULT_POLE_HEIGHT_M = 8;
const MAX_ERRORS = 100;

export function formatImportError(e: ImportError): string {
  return `${e.where}, field ${e.field}: ${e.message}`;
}

type Candidate = { where: string; raw: Record<string, unknown>; segmentName?: string };

/** One error per field: the first problem zod names for it. */
function issuesToErrors(where: string, error: z.ZodError): ImportError[] {
  const byField = new Map<string, ImportError>();
  for (const i of error.issues) {
    const field = i.path.join('.') || '(row)';
    if (!byField.has(field)) byField.set(field, { where, field, message: i.message });
  }
  return [...byField.values()];
}

/**
 * Validate candidates against the schema and the catalog; fill in distance along the route
 * (cumulative in file order) when the source has none.
 */
function finish(
  candidates: Candidate[],
  catalog: Catalog,
  segmentsIn: SegmentInfo[],
  source: string,
  approximate: boolean,
): ImportResult {
  const errors: ImportError[] = [];
  const modelIds = new Set(catalog.models.map((m) => m.id));
  const firstSeen = new Map<string, string>();
  const lamps: LampPost[] = [];
  let previous: LampPost | undefined;
  let previousWhere = '';
  for (const c of candidates) {
    if (c.raw.poleHeightM === undefined) c.raw.poleHeightM = DEFAULT_POLE_HEIGHT_M;
    const computeDistance = c.raw.distanceM === undefined;
    if (computeDistance) c.raw.distanceM = 0;
    const parsed = LampPost.safeParse(c.raw);
    if (!parsed.success) {
      errors.push(...issuesToErrors(c.where, parsed.error));
      continue;
    }
    const lamp = parsed.data;
    const seen = firstSeen.get(lamp.id);
    if (seen)
      errors.push({
        where: c.where,
        field: 'id',
        message: `duplicate lamp id ${lamp.id}, first at ${seen}`,
      });
    else firstSeen.set(lamp.id, c.where);
    if (!modelIds.has(lamp.modelId)) {
      errors.push({
        where: c.where,
        field: 'modelId',
        message: `unknown luminaire model ${lamp.modelId}`,
      });
    }
    if (computeDistance) {
      lamp.distanceM = previous
        ? Number(
            (
              previous.distanceM + haversineM([previous.lon, previous.lat], [lamp.lon, lamp.lat])
            ).toFixed(1),
          )
        : 0;
    } else if (previous && lamp.distanceM <= previous.distanceM) {
      errors.push({
        where: c.where,
        field: 'distanceM',
        message: `distance along the route must increase: ${lamp.distanceM} after ${previous.distanceM} at ${previousWhere}`,
      });
    }
    lamps.push(lamp);
    previous = lamp;
    previousWhere = c.where;
    if (errors.length >= MAX_ERRORS) break;
  }
  if (candidates.length === 0)
    errors.push({ where: source, field: '(file)', message: 'no lamp posts found' });
  if (errors.length > 0) return { ok: false, errors: errors.slice(0, MAX_ERRORS) };

  const segments = new Map(segmentsIn.map((s) => [s.id, { ...s }]));
  candidates.forEach((c, i) => {
    const lamp = lamps[i]!;
    const known = segments.get(lamp.segmentId);
    if (!known) {
      segments.set(lamp.segmentId, {
        id: lamp.segmentId,
        name: c.segmentName || lamp.segmentId,
        controllerId: lamp.controllerId,
      });
    } else if (known.controllerId !== lamp.controllerId) {
      errors.push({
        where: c.where,
        field: 'controllerId',
        message: `${lamp.controllerId}, but segment ${known.id} is controlled by ${known.controllerId}`,
      });
    }
  });
  // Controllers log in to the broker with their id and speak for their segment's lamps: an id
  // shared by two segments, or also a lamp's, would hand one device another's rights.
  const lampIds = new Set(lamps.map((l) => l.id));
  const controllerOf = new Map<string, string>();
  for (const s of segments.values()) {
    const other = controllerOf.get(s.controllerId);
    if (lampIds.has(s.controllerId) || other !== undefined) {
      errors.push({
        where: `segment ${s.id}`,
        field: 'controllerId',
        message: lampIds.has(s.controllerId)
          ? `${s.controllerId} is also a lamp id`
          : `${s.controllerId} already controls segment ${other}`,
      });
    }
    controllerOf.set(s.controllerId, s.id);
  }
  if (errors.length > 0) return { ok: false, errors: errors.slice(0, MAX_ERRORS) };
  return { ok: true, inventory: { lamps, segments: [...segments.values()], approximate, source } };
}

/** Import a surveyed inventory from CSV, one lamp post a row, columns as in CSV_COLUMNS. */
export function importInventoryCsv(text: string, catalog: Catalog, source = 'csv'): ImportResult {
  const rows = parseCsv(text);
  const header = rows.shift();
  if (!header)
    return {
      ok: false,
      errors: [{ where: 'line 1', field: '(header)', message: 'the file is empty' }],
    };
  const names = header.cells.map((c) => c.trim());
  const errors: ImportError[] = [];
  names.forEach((n) => {
    if (!(CSV_COLUMNS as readonly string[]).includes(n)) {
      errors.push({
        where: 'line 1',
        field: n || '(empty)',
        message: `unknown column; expected ${CSV_COLUMNS.join(', ')}`,
      });
    }
  });
  for (const r of REQUIRED_COLUMNS) {
    if (!names.includes(r))
      errors.push({ where: 'line 1', field: r, message: 'required column is missing' });
  }
  if (errors.length > 0) return { ok: false, errors };
  const candidates: Candidate[] = [];
  for (const row of rows) {
    const where = `line ${row.line}`;
    if (row.cells.length !== names.length) {
      errors.push({
        where,
        field: '(row)',
        message: `has ${row.cells.length} cells, the header has ${names.length}`,
      });
      continue;
    }
    const raw: Record<string, unknown> = {};
    let segmentName: string | undefined;
    names.forEach((name, i) => {
      const cell = row.cells[i]!.trim();
      if (name === 'segmentName') segmentName = cell || undefined;
      else if (cell === '') {
        if (!NUMERIC.has(name) || REQUIRED_COLUMNS.includes(name as never)) raw[name] = cell;
      } else if (NUMERIC.has(name)) {
        const n = Number(cell);
        if (Number.isFinite(n)) raw[name] = n;
        else
          errors.push({
            where,
            field: name,
            message: `expected a number, got ${JSON.stringify(cell.slice(0, 40))}`,
          });
      } else raw[name] = cell;
    });
    const candidate: Candidate = { where, raw };
    if (segmentName) candidate.segmentName = segmentName;
    candidates.push(candidate);
  }
  if (errors.length > 0) return { ok: false, errors: errors.slice(0, MAX_ERRORS) };
  return finish(candidates, catalog, [], source, false);
}

/**
 * Import from GeoJSON: a FeatureCollection whose Point features are lamp posts (properties as the
 * CSV columns) and whose LineString features with `kind: "segment"` name the streets.
 */
export function importInventoryGeoJson(
  text: string,
  catalog: Catalog,
  source = 'geojson',
): ImportResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return {
      ok: false,
      errors: [{ where: source, field: '(file)', message: `not JSON: ${(e as Error).message}` }],
    };
  }
  const fc = doc as { type?: unknown; features?: unknown; approximate?: unknown };
  if (fc?.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    return {
      ok: false,
      errors: [{ where: source, field: 'type', message: 'expected a GeoJSON FeatureCollection' }],
    };
  }
  const errors: ImportError[] = [];
  const candidates: Candidate[] = [];
  const segments: SegmentInfo[] = [];
  fc.features.forEach((f: unknown, i: number) => {
    const where = `feature ${i}`;
    const feature = f as {
      geometry?: { type?: unknown; coordinates?: unknown };
      properties?: Record<string, unknown>;
    };
    const props = feature?.properties ?? {};
    const geometry = feature?.geometry;
    if (geometry?.type === 'LineString' && props.kind === 'segment') {
      const coords = geometry.coordinates as [number, number][];
      // Ids become MQTT usernames, topic levels and ACL lines: the contract's alphabet only.
      const bad = (['segmentId', 'controllerId'] as const).filter(
        (k) => !Id.safeParse(props[k]).success,
      );
      for (const field of bad)
        errors.push({
          where,
          field,
          message: `expected an id (letters, digits, ".", "_", "-"), got ${JSON.stringify(props[field])?.slice(0, 80)}`,
        });
      if (bad.length > 0) return;
      segments.push({
        id: String(props.segmentId),
        name: String(props.name ?? props.segmentId),
        controllerId: String(props.controllerId),
        coordinates: coords,
      });
      return;
    }
    if (geometry?.type !== 'Point') {
      errors.push({
        where,
        field: 'geometry.type',
        message: `expected Point, got ${JSON.stringify(geometry?.type)}`,
      });
      return;
    }
    const c = geometry.coordinates;
    if (!Array.isArray(c) || c.length < 2) {
      errors.push({ where, field: 'geometry.coordinates', message: 'expected [lon, lat]' });
      return;
    }
    const { segmentName, ...rest } = props;
    const candidate: Candidate = { where, raw: { ...rest, lon: c[0], lat: c[1] } };
    if (typeof segmentName === 'string') candidate.segmentName = segmentName;
    candidates.push(candidate);
  });
  if (errors.length > 0) return { ok: false, errors: errors.slice(0, MAX_ERRORS) };
  return finish(candidates, catalog, segments, source, fc.approximate === true);
}

import { z } from 'zod';
import { Id } from '../contract/common.ts';
import { LIMITS } from '../contract/limits.ts';
import { parseCsv } from './csv.ts';
import { haversineM } from './geo.ts';
import { type Catalog, LampPost } from './schemas.ts';

/**
 * One problem in an imported inventory. `where` counts from 1 and says what it counts: `line 4`
 * is the file's fourth line (the CSV header is line 1), `feature 12 (features[11])` the twelfth
 * feature of a GeoJSON FeatureCollection, `segment s1` a segment as a whole.
 */
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

export function formatImportError(e: ImportError): string {
  return `${e.where}, field ${e.field}: ${e.message}`;
}

/**
 * A lamp post as read from the file, not yet validated. `reported` names fields whose problem is
 * already listed (a cell that is not a number, a missing column), so they are not listed twice.
 */
type Candidate = {
  where: string;
  raw: Record<string, unknown>;
  segmentName?: string;
  reported: ReadonlySet<string>;
};

/** One error per field: the first problem zod names for it. */
function issuesToErrors(
  where: string,
  error: z.ZodError,
  reported: ReadonlySet<string>,
): ImportError[] {
  const byField = new Map<string, ImportError>();
  for (const i of error.issues) {
    const field = i.path.join('.') || '(row)';
    if (!byField.has(field) && !reported.has(field))
      byField.set(field, { where, field, message: i.message });
  }
  return [...byField.values()];
}

/** Line or feature number of a problem; problems of a segment or the whole file come last. */
const placeOf = (e: ImportError) =>
  Number(/^(?:line|feature) (\d+)/.exec(e.where)?.[1] ?? Number.MAX_SAFE_INTEGER);
/** In file order (stable, so a place keeps its problems in the order they were found). */
const byPlace = (a: ImportError, b: ImportError) => placeOf(a) - placeOf(b);

/**
 * Validate candidates against the schema and the catalog, then segments and controllers, adding
 * to the problems the reader already found: every problem of the file is listed at once. Fills in
 * distance along the route (cumulative in file order) when the source has none.
 */
function finish(
  candidates: Candidate[],
  errors: ImportError[],
  catalog: Catalog,
  segmentsIn: SegmentInfo[],
  source: string,
  approximate: boolean,
): ImportResult {
  const modelIds = new Set(catalog.models.map((m) => m.id));
  const firstSeen = new Map<string, string>();
  const lamps: { lamp: LampPost; c: Candidate }[] = [];
  let previous: { lamp: LampPost; where: string } | undefined;
  for (const c of candidates) {
    if (c.raw.poleHeightM === undefined) c.raw.poleHeightM = DEFAULT_POLE_HEIGHT_M;
    const computeDistance = c.raw.distanceM === undefined && !c.reported.has('distanceM');
    if (computeDistance) c.raw.distanceM = 0;
    const longName = c.segmentName && tooLong(c.where, 'segmentName', c.segmentName);
    if (longName) errors.push(longName);
    const parsed = LampPost.safeParse(c.raw);
    if (!parsed.success) {
      errors.push(...issuesToErrors(c.where, parsed.error, c.reported));
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
      const p = previous?.lamp;
      lamp.distanceM = p
        ? Number((p.distanceM + haversineM([p.lon, p.lat], [lamp.lon, lamp.lat])).toFixed(1))
        : 0;
    } else if (previous && lamp.distanceM <= previous.lamp.distanceM) {
      errors.push({
        where: c.where,
        field: 'distanceM',
        message: `distance along the route must increase: ${lamp.distanceM} after ${previous.lamp.distanceM} at ${previous.where}`,
      });
    }
    lamps.push({ lamp, c });
    previous = { lamp, where: c.where };
  }

  const segments = new Map(segmentsIn.map((s) => [s.id, { ...s }]));
  for (const { lamp, c } of lamps) {
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
  }
  // Controllers log in to the broker with their id and speak for their segment's lamps: an id
  // shared by two segments, or also a lamp's, would hand one device another's rights.
  const lampIds = new Set(lamps.map((l) => l.lamp.id));
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
  if (errors.length > 0) return { ok: false, errors: errors.sort(byPlace) };
  if (lamps.length === 0)
    return {
      ok: false,
      errors: [{ where: source, field: '(file)', message: 'no lamp posts found' }],
    };
  return {
    ok: true,
    inventory: {
      lamps: lamps.map((l) => l.lamp),
      segments: [...segments.values()],
      approximate,
      source,
    },
  };
}

/** A quote never closed: every line after it would be read as one cell, and silently lost. */
const unterminated = (where: string): ImportError => ({
  where,
  field: '(row)',
  message: 'a quoted cell starts here and is never closed',
});

/** A name longer than the contract's text fields (it is shown and printed), or undefined. */
function tooLong(where: string, field: string, name: string): ImportError | undefined {
  return name.length > LIMITS.maxTextLength
    ? { where, field, message: `at most ${LIMITS.maxTextLength} characters, got ${name.length}` }
    : undefined;
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
  const where = `line ${header.line}`;
  const errors: ImportError[] = [];
  if (header.unterminated) errors.push(unterminated(where));
  for (const n of names) {
    if (!(CSV_COLUMNS as readonly string[]).includes(n)) {
      errors.push({
        where,
        field: n || '(empty)',
        message: `unknown column; expected ${CSV_COLUMNS.join(', ')}`,
      });
    }
  }
  names.forEach((n, i) => {
    if (n && names.indexOf(n) !== i)
      errors.push({
        where,
        field: n,
        message: `column appears ${names.filter((m) => m === n).length} times`,
      });
  });
  const missing = REQUIRED_COLUMNS.filter((r) => !names.includes(r));
  for (const r of missing) errors.push({ where, field: r, message: 'required column is missing' });
  const candidates: Candidate[] = [];
  for (const row of rows) {
    const where = `line ${row.line}`;
    if (row.unterminated) {
      errors.push(unterminated(where));
      continue;
    }
    if (row.cells.length !== names.length) {
      // Cells no longer line up with columns: nothing else in the row can be trusted.
      errors.push({
        where,
        field: '(row)',
        message: `has ${row.cells.length} cells, the header has ${names.length}`,
      });
      continue;
    }
    const raw: Record<string, unknown> = {};
    const reported = new Set<string>(missing);
    let segmentName: string | undefined;
    names.forEach((name, i) => {
      const cell = row.cells[i]!.trim();
      if (!(CSV_COLUMNS as readonly string[]).includes(name)) return;
      if (name === 'segmentName') segmentName = cell || undefined;
      else if (cell === '') {
        if (!NUMERIC.has(name) || REQUIRED_COLUMNS.includes(name as never)) raw[name] = cell;
      } else if (NUMERIC.has(name)) {
        const n = Number(cell);
        if (Number.isFinite(n)) raw[name] = n;
        else {
          reported.add(name);
          errors.push({
            where,
            field: name,
            message: `expected a number, got ${JSON.stringify(cell.slice(0, 40))}`,
          });
        }
      } else raw[name] = cell;
    });
    const candidate: Candidate = { where, raw, reported };
    if (segmentName) candidate.segmentName = segmentName;
    candidates.push(candidate);
  }
  if (rows.length === 0)
    errors.push({ where: source, field: '(file)', message: 'no lamp posts found' });
  return finish(candidates, errors, catalog, [], source, false);
}

/** GeoJSON positions: [lon, lat], optionally with an altitude, which is dropped. */
const LineCoordinates = z.array(z.array(z.number()).min(2).max(3)).min(2);

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
    const where = `feature ${i + 1} (features[${i}])`;
    const feature = f as {
      geometry?: { type?: unknown; coordinates?: unknown };
      properties?: Record<string, unknown>;
    };
    const props = feature?.properties ?? {};
    const geometry = feature?.geometry;
    if (geometry?.type === 'LineString' && props.kind === 'segment') {
      const coords = LineCoordinates.safeParse(geometry.coordinates);
      if (!coords.success)
        errors.push({
          where,
          field: 'geometry.coordinates',
          message: 'expected at least two [lon, lat] positions',
        });
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
      const name = typeof props.name === 'string' ? props.name : String(props.segmentId);
      const longName = tooLong(where, 'name', name);
      if (longName) errors.push(longName);
      if (bad.length > 0 || !coords.success || longName) return;
      segments.push({
        id: String(props.segmentId),
        name,
        controllerId: String(props.controllerId),
        coordinates: coords.data.map(([lon, lat]) => [lon!, lat!]),
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
    const reported = new Set<string>();
    if (!Array.isArray(c) || c.length < 2) {
      errors.push({ where, field: 'geometry.coordinates', message: 'expected [lon, lat]' });
      reported.add('lon').add('lat');
    }
    const { segmentName, ...rest } = props;
    const position = Array.isArray(c) ? { lon: c[0], lat: c[1] } : {};
    const candidate: Candidate = { where, raw: { ...rest, ...position }, reported };
    if (typeof segmentName === 'string') candidate.segmentName = segmentName;
    candidates.push(candidate);
  });
  if (fc.features.length === 0)
    errors.push({ where: source, field: '(file)', message: 'no lamp posts found' });
  return finish(candidates, errors, catalog, segments, source, fc.approximate === true);
}

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeIssues } from '../contract/decode.ts';
import {
  formatImportError,
  type Inventory,
  importInventoryCsv,
  importInventoryGeoJson,
} from './importInventory.ts';
import {
  Catalog,
  type LampPost,
  type LuminaireModel,
  type Segment,
  type Vendor,
} from './schemas.ts';

/** The lamp registry: every lamp post with its segment, controller and luminaire model. */
export interface Registry {
  readonly lamps: readonly LampPost[];
  readonly segments: readonly Segment[];
  readonly vendors: readonly Vendor[];
  readonly models: readonly LuminaireModel[];
  /** True while the geometry is the shipped approximation rather than a survey. */
  readonly approximate: boolean;
  readonly source: string;
  lamp(id: string): LampPost | undefined;
  model(id: string): LuminaireModel | undefined;
  vendor(id: string): Vendor | undefined;
  segment(id: string): Segment | undefined;
  /** The vendor of a lamp's luminaire. */
  vendorOf(lampId: string): Vendor | undefined;
  lampsInSegment(segmentId: string): readonly LampPost[];
  lampsOfVendor(vendorId: string): readonly LampPost[];
  lampsOfModel(modelId: string): readonly LampPost[];
  /** Segment geometry as [lon, lat] points, where the source had it. */
  segmentGeometry(segmentId: string): readonly [number, number][] | undefined;
}

const DATA_DIR = fileURLToPath(new URL('../data/', import.meta.url));
export const DEFAULT_CATALOG_PATH = `${DATA_DIR}catalog.json`;
export const DEFAULT_ROUTE_PATH = `${DATA_DIR}doll-route.geojson`;

/** Thrown when a catalog or inventory does not validate; `errors` lists every problem. */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly errors: string[],
  ) {
    super(`${message}:\n  ${errors.join('\n  ')}`);
    this.name = 'RegistryError';
  }
}

function group<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

export function parseCatalog(json: unknown): Catalog {
  const parsed = Catalog.safeParse(json);
  if (!parsed.success)
    throw new RegistryError('invalid luminaire catalog', [describeIssues(parsed.error).reason]);
  const vendorIds = new Set(parsed.data.vendors.map((v) => v.id));
  const bad = parsed.data.models.filter((m) => !vendorIds.has(m.vendorId));
  if (bad.length > 0) {
    throw new RegistryError(
      'invalid luminaire catalog',
      bad.map((m) => `model ${m.id}: unknown vendor ${m.vendorId}`),
    );
  }
  return parsed.data;
}

export function loadCatalog(path = DEFAULT_CATALOG_PATH): Catalog {
  return parseCatalog(JSON.parse(readFileSync(path, 'utf8')));
}

/** Build the registry from a catalog and an inventory that import already validated. */
export function createRegistry(catalog: Catalog, inventory: Inventory): Registry {
  const lamps = [...inventory.lamps].sort((a, b) => a.distanceM - b.distanceM);
  const lampById = new Map(lamps.map((l) => [l.id, l]));
  const modelById = new Map(catalog.models.map((m) => [m.id, m]));
  const vendorById = new Map(catalog.vendors.map((v) => [v.id, v]));
  const bySegment = group(lamps, (l) => l.segmentId);
  const byModel = group(lamps, (l) => l.modelId);
  const byVendor = group(lamps, (l) => modelById.get(l.modelId)?.vendorId ?? '');
  const geometry = new Map(inventory.segments.map((s) => [s.id, s.coordinates]));
  const segments: Segment[] = inventory.segments
    .filter((s) => bySegment.has(s.id))
    .map((s) => {
      const own = bySegment.get(s.id)!;
      return {
        id: s.id,
        name: s.name,
        controllerId: s.controllerId,
        lampIds: own.map((l) => l.id),
        lengthM: Number((own[own.length - 1]!.distanceM - own[0]!.distanceM).toFixed(1)),
      };
    });
  const none: readonly LampPost[] = [];
  return {
    lamps,
    segments,
    vendors: catalog.vendors,
    models: catalog.models,
    approximate: inventory.approximate,
    source: inventory.source,
    lamp: (id) => lampById.get(id),
    model: (id) => modelById.get(id),
    vendor: (id) => vendorById.get(id),
    segment: (id) => segments.find((s) => s.id === id),
    vendorOf: (lampId) => {
      const model = modelById.get(lampById.get(lampId)?.modelId ?? '');
      return model ? vendorById.get(model.vendorId) : undefined;
    },
    lampsInSegment: (id) => bySegment.get(id) ?? none,
    lampsOfVendor: (id) => byVendor.get(id) ?? none,
    lampsOfModel: (id) => byModel.get(id) ?? none,
    segmentGeometry: (id) => geometry.get(id),
  };
}

/** Where the gateway saves an inventory an admin imported; it applies from the next start. */
export function savedInventoryPath(dataDir: string, format: 'csv' | 'geojson'): string {
  return join(dataDir, `inventory.${format}`);
}

/**
 * The inventory to load: INVENTORY_PATH when set, else one an admin imported through the
 * gateway (saved in its data folder), else undefined for the shipped route.
 */
export function resolveInventoryPath(
  explicit: string | undefined,
  dataDir: string,
): string | undefined {
  if (explicit) return explicit;
  return (['csv', 'geojson'] as const)
    .map((f) => savedInventoryPath(dataDir, f))
    .find((p) => existsSync(p));
}

/**
 * Load a registry from an inventory file (CSV or GeoJSON, by extension) and a catalog; with no
 * arguments, the shipped approximate DOLL route. Throws RegistryError listing every problem.
 */
export function loadRegistry(
  inventoryPath = DEFAULT_ROUTE_PATH,
  catalogPath = DEFAULT_CATALOG_PATH,
): Registry {
  const catalog = loadCatalog(catalogPath);
  const text = readFileSync(inventoryPath, 'utf8');
  const result = /\.csv$/i.test(inventoryPath)
    ? importInventoryCsv(text, catalog, inventoryPath)
    : importInventoryGeoJson(text, catalog, inventoryPath);
  if (!result.ok)
    throw new RegistryError(
      `invalid inventory ${inventoryPath}`,
      result.errors.map(formatImportError),
    );
  return createRegistry(catalog, result.inventory);
}

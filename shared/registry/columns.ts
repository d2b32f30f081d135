/**
 * Lamps as columns: ids and positions as arrays, segment, vendor and model as indexes into their
 * name lists. The gateway's `/api/lamps/columns` answer and the web app's live table both use it.
 * Pure and browser-safe.
 */
export interface LampLike {
  id: string;
  lon: number;
  lat: number;
  segmentId: string;
  vendorId: string;
  modelId: string;
}

export interface LampColumns {
  ids: string[];
  lon: number[];
  lat: number[];
  segments: string[];
  vendors: string[];
  models: string[];
  segment: number[];
  vendor: number[];
  model: number[];
}

/** Names in order of first use, and each item's index into them. */
export function dictionaryCode<T>(
  items: readonly T[],
  name: (item: T) => string,
): { names: string[]; codes: number[] } {
  const names: string[] = [];
  const at = new Map<string, number>();
  const codes = items.map((item) => {
    const n = name(item);
    let c = at.get(n);
    if (c === undefined) {
      c = names.length;
      names.push(n);
      at.set(n, c);
    }
    return c;
  });
  return { names, codes };
}

export function lampColumns(lamps: readonly LampLike[]): LampColumns {
  const seg = dictionaryCode(lamps, (l) => l.segmentId);
  const ven = dictionaryCode(lamps, (l) => l.vendorId);
  const mod = dictionaryCode(lamps, (l) => l.modelId);
  return {
    ids: lamps.map((l) => l.id),
    lon: lamps.map((l) => l.lon),
    lat: lamps.map((l) => l.lat),
    segments: seg.names,
    vendors: ven.names,
    models: mod.names,
    segment: seg.codes,
    vendor: ven.codes,
    model: mod.codes,
  };
}

/**
 * The lamps a run simulates: the registry's route, cut short or replicated to reach `--lamps N`.
 * Replicas are whole copies of the route with prefixed ids (`r2-DOLL-0042`, `r2-seg-03`,
 * `r2-ctl-03`), so a broker or processor given the same scaled registry knows every device.
 */

import { createRandom } from '../shared/random.ts';
import type { SegmentInfo } from '../shared/registry/importInventory.ts';
import {
  createRegistry,
  type LampPost,
  type LuminaireModel,
  type Registry,
} from '../shared/registry/index.ts';

/** Metres between replicas along the (virtual) route, so replicas sort apart by distance. */
const REPLICA_SPACING_M = 100_000;
/** Replicas are drawn north of the original so maps do not stack them. */
const REPLICA_LAT_STEP = 0.01;

export const replicaId = (id: string, replica: number) => (replica <= 1 ? id : `r${replica}-${id}`);

/** A registry with exactly `count` lamps: the first ones of the route, or replicas of it. */
export function scaleRegistry(registry: Registry, count: number): Registry {
  if (count === registry.lamps.length) return registry;
  const lamps: LampPost[] = [];
  const segments: SegmentInfo[] = [];
  for (let r = 1; lamps.length < count; r++) {
    for (const s of registry.segments) {
      const own = registry.lampsInSegment(s.id);
      const take = own.slice(0, count - lamps.length);
      if (take.length === 0) break;
      const geometry = registry.segmentGeometry(s.id);
      const info: SegmentInfo = {
        id: replicaId(s.id, r),
        name: r <= 1 ? s.name : `${s.name} (replica ${r})`,
        controllerId: replicaId(s.controllerId, r),
      };
      if (geometry)
        info.coordinates = geometry.map(([lon, lat]) => [lon, lat + (r - 1) * REPLICA_LAT_STEP]);
      segments.push(info);
      for (const l of take) {
        lamps.push({
          ...l,
          id: replicaId(l.id, r),
          segmentId: info.id,
          controllerId: info.controllerId,
          lat: l.lat + (r - 1) * REPLICA_LAT_STEP,
          distanceM: l.distanceM + (r - 1) * REPLICA_SPACING_M,
        });
      }
    }
    if (registry.lamps.length === 0) break;
  }
  return createRegistry(
    { vendors: [...registry.vendors], models: [...registry.models] },
    {
      lamps,
      segments,
      approximate: registry.approximate,
      source: `${registry.source} (scaled to ${count} lamps)`,
    },
  );
}

/** One simulated lamp post: registry facts plus the per-post constants the simulation needs. */
export interface SimLamp {
  id: string;
  segmentId: string;
  controllerId: string;
  vendorId: string;
  model: LuminaireModel;
  /** Which copy of the route the post is on (traffic runs per route). */
  route: number;
  /** Distance along its own route, metres. */
  distanceM: number;
  hasLightSensor: boolean;
  hasPresenceSensor: boolean;
  /** The segment's nominal mains voltage, V (each feeder sits a little off 230 V). */
  nominalVoltageV: number;
}

export function simLamps(registry: Registry, seed: number): SimLamp[] {
  const rnd = createRandom(seed ^ 0x5eed);
  const nominal = new Map(registry.segments.map((s) => [s.id, 226 + rnd() * 9]));
  return registry.lamps.map((l) => {
    const model = registry.model(l.modelId);
    if (!model) throw new Error(`lamp ${l.id}: model ${l.modelId} is not in the catalog`);
    const route = Math.floor(l.distanceM / REPLICA_SPACING_M);
    return {
      id: l.id,
      segmentId: l.segmentId,
      controllerId: l.controllerId,
      vendorId: model.vendorId,
      model,
      route,
      distanceM: l.distanceM - route * REPLICA_SPACING_M,
      hasLightSensor: model.sensors.includes('illuminance'),
      hasPresenceSensor: model.sensors.includes('presence'),
      nominalVoltageV: Math.round((nominal.get(l.segmentId) ?? 230) * 10) / 10,
    };
  });
}

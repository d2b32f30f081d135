import type { LampPost, Registry } from '../../../shared/registry/index.ts';
import type { LiveLamp } from '../api.ts';

/** The FIWARE Smart Data Models context for Streetlight (dataModel.Streetlighting). */
export const NGSI_LD_CONTEXT = [
  'https://raw.githubusercontent.com/smart-data-models/dataModel.Streetlighting/master/context.jsonld',
  'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld',
];

const urn = (type: string, id: string) => `urn:ngsi-ld:${type}:${id}`;

/**
 * A lamp post as a FIWARE Streetlight entity (NGSI-LD, normalized form). `status` uses the data
 * model's enumeration as far as the live view knows: an offline lamp is `columnIssue` (no
 * power or communication at the column), anything else `ok`; lamp failures are alarms.
 */
export function toNgsiLd(
  lamp: LampPost,
  state: LiveLamp | undefined,
  registry: Registry,
): Record<string, unknown> {
  const t = state?.telemetry ?? null;
  const entity: Record<string, unknown> = {
    id: urn('Streetlight', lamp.id),
    type: 'Streetlight',
    '@context': NGSI_LD_CONTEXT,
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [lamp.lon, lamp.lat] } },
    name: { type: 'Property', value: lamp.id },
    lanternHeight: { type: 'Property', value: lamp.poleHeightM, unitCode: 'MTR' },
    refStreetlightModel: { type: 'Relationship', object: urn('StreetlightModel', lamp.modelId) },
    refStreetlightGroup: { type: 'Relationship', object: urn('StreetlightGroup', lamp.segmentId) },
    refStreetlightControlCabinet: {
      type: 'Relationship',
      object: urn('StreetlightControlCabinet', lamp.controllerId),
    },
    status: { type: 'Property', value: state?.status === 'offline' ? 'columnIssue' : 'ok' },
    dataProvider: { type: 'Property', value: 'gadelys' },
  };
  if (registry.approximate) {
    entity.description = {
      type: 'Property',
      value: 'approximate position (shipped route geometry)',
    };
  }
  if (t) {
    const observedAt = new Date(t.ts).toISOString();
    entity.powerState = { type: 'Property', value: t.actualLevel > 0 ? 'on' : 'off', observedAt };
    entity.illuminanceLevel = { type: 'Property', value: t.actualLevel / 100, observedAt };
    entity.powerConsumption = {
      type: 'Property',
      value: t.activePower,
      unitCode: 'WTT',
      observedAt,
    };
  }
  return JSON.parse(JSON.stringify(entity)) as Record<string, unknown>;
}

/**
 * Generates the default lab: the luminaire catalog and the approximate DOLL route with its lamp
 * posts. Deterministic (seeded); its output is committed under shared/data/.
 *
 *   npx tsx scripts/generateLab.ts
 *
 * The DOLL route's surveyed coordinates are not public: this geometry is an approximation in
 * Hersted Industripark with fictional street names, and the data says so. Import the surveyed
 * inventory (CSV or GeoJSON) to replace it.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRandom } from '../shared/random.ts';
import { lineLengthM, offsetToLonLat, pointAlong } from '../shared/registry/geo.ts';
import type { Catalog, LampPost, LuminaireModel, Vendor } from '../shared/registry/schemas.ts';

const SEED = 2014;
const ROUTE_LENGTH_M = 8000;
const LAMP_COUNT = 280;
/** South-west corner of the layout, [lon, lat], inside Hersted Industripark. */
const ORIGIN: [number, number] = [12.3465, 55.6745];

const rnd = createRandom(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const between = (lo: number, hi: number) => lo + (hi - lo) * rnd();
const round = (x: number, digits = 0) => Number(x.toFixed(digits));

const VENDORS: Vendor[] = [
  ['nordlys', 'Nordlys Belysning', 'DK'],
  ['lumenhavn', 'Lumenhavn', 'DK'],
  ['baltic-lum', 'Baltic Luminaires', 'LT'],
  ['fjordlight', 'Fjordlight', 'NO'],
  ['skymast', 'Skymast Lighting', 'SE'],
  ['helio-urban', 'Helio Urban', 'DE'],
  ['streetwise', 'Streetwise LED', 'GB'],
  ['lanterna', 'Lanterna Civica', 'IT'],
  ['polaris-out', 'Polaris Outdoor', 'FI'],
  ['vejlys', 'Vejlys Teknik', 'DK'],
  ['citiglow', 'Citiglow', 'NL'],
  ['lumifer', 'Lumifer', 'FR'],
  ['ostrava-svet', 'Ostrava Svetlo', 'CZ'],
  ['alba-led', 'Alba LED', 'ES'],
  ['kestrel', 'Kestrel Optics', 'IE'],
  ['duskline', 'Duskline', 'BE'],
  ['gaslamp-tech', 'Gaslamp Technologies', 'AT'],
  ['boreal-lys', 'Boreal Lys', 'DK'],
  ['vistalux', 'Vistalux', 'PL'],
  ['meridian-ls', 'Meridian Lighting Systems', 'CH'],
].map(([id, name, country]) => ({ id: id!, name: name!, country: country! }));

/** Eight to ten control systems ran on the route; these are fictional stand-ins. */
const CONTROL_SYSTEMS = [
  'talq-gw-a',
  'talq-gw-b',
  'dali-node-x',
  'zhaga-d4i-y',
  'lora-ctl',
  'nbiot-ctl',
  'plc-mesh',
  'rf-mesh-868',
  'wisun-fan',
];
const FAMILY = ['Arc', 'Vega', 'Linea', 'Orbis', 'Nova', 'Strada', 'Kappa', 'Halo', 'Prism', 'Sol'];
const POWER_CLASSES: { w: number; road: LuminaireModel['roadClass'] }[] = [
  { w: 24, road: 'residential' },
  { w: 30, road: 'residential' },
  { w: 36, road: 'residential' },
  { w: 40, road: 'residential' },
  { w: 45, road: 'residential' },
  { w: 50, road: 'residential' },
  { w: 60, road: 'collector' },
  { w: 75, road: 'collector' },
  { w: 90, road: 'collector' },
  { w: 100, road: 'main' },
  { w: 120, road: 'main' },
  { w: 150, road: 'main' },
];
const SENSOR_SETS: LuminaireModel['sensors'][] = [
  [],
  [],
  ['illuminance'],
  ['presence'],
  ['illuminance', 'presence'],
  ['illuminance', 'presence', 'temperature'],
  ['presence', 'airQuality', 'sound'],
];

function makeModels(): LuminaireModel[] {
  const models: LuminaireModel[] = [];
  VENDORS.forEach((vendor, v) => {
    const count = v < 10 ? 3 : 2; // 10 x 3 + 10 x 2 = 50 types
    const system = CONTROL_SYSTEMS[v % CONTROL_SYSTEMS.length]!;
    for (let k = 0; k < count; k++) {
      const cls = pick(POWER_CLASSES);
      const efficacy = round(between(115, 168));
      const peak = between(0.88, 0.94);
      const family = FAMILY[(v + k * 3) % FAMILY.length]!;
      models.push({
        id: `${vendor.id}-${family.toLowerCase()}-${cls.w}`,
        vendorId: vendor.id,
        name: `${family} ${cls.w}W`,
        ratedPowerW: cls.w,
        standbyPowerW: round(between(0.3, 1.0), 2),
        lumens: Math.round((cls.w * efficacy) / 10) * 10,
        efficacyLmPerW: efficacy,
        cctK: pick([2200, 2700, 3000, 3000, 4000]),
        driverEfficiency: [0.1, 0.25, 0.5, 0.75, 1].map((load, i) => ({
          load,
          efficiency: round(peak * [0.72, 0.85, 0.95, 0.99, 1][i]!, 3),
        })),
        dimming: { minPct: pick([1, 5, 10, 10]), maxPct: 100 },
        sensors: pick(SENSOR_SETS),
        controlSystem: system,
        constantLightOutput: rnd() < 0.3,
        powerFactor: round(between(0.9, 0.98), 2),
        roadClass: cls.road,
      });
    }
  });
  return models;
}

/** Fictional streets of the approximate layout: legs as [east, north] metres. */
const STREETS: { name: string; legs: [number, number][] }[] = [
  { name: 'Lysvej', legs: [[820, 0]] },
  {
    name: 'Lygtevej',
    legs: [
      [0, 540],
      [160, 0],
    ],
  },
  { name: 'Mastevej', legs: [[690, 0]] },
  {
    name: 'Armaturvej',
    legs: [
      [0, -460],
      [240, 0],
    ],
  },
  { name: 'Daempervej', legs: [[0, 730]] },
  {
    name: 'Sensorvej',
    legs: [
      [-580, 0],
      [0, 210],
    ],
  },
  { name: 'Kabelvej', legs: [[-720, 0]] },
  {
    name: 'Skumringsvej',
    legs: [
      [0, 380],
      [310, 0],
    ],
  },
  {
    name: 'Nattevej',
    legs: [
      [640, 0],
      [0, 150],
    ],
  },
  {
    name: 'Gadelysvej',
    legs: [
      [-260, 0],
      [0, 420],
    ],
  },
  { name: 'Stolpevej', legs: [[-900, 0]] },
  {
    name: 'Pollervej',
    legs: [
      [0, -350],
      [-240, 0],
    ],
  },
];

function makeRoute(): {
  name: string;
  controllerId: string;
  id: string;
  points: [number, number][];
}[] {
  const total = STREETS.flatMap((s) => s.legs).reduce((sum, [e, n]) => sum + Math.hypot(e, n), 0);
  const scale = ROUTE_LENGTH_M / total;
  let east = 0;
  let north = 0;
  return STREETS.map((street, i) => {
    const points: [number, number][] = [offsetToLonLat(ORIGIN, east, north)];
    for (const [e, n] of street.legs) {
      east += e * scale;
      north += n * scale;
      points.push(offsetToLonLat(ORIGIN, east, north));
    }
    const nn = String(i + 1).padStart(2, '0');
    return { name: street.name, id: `seg-${nn}`, controllerId: `ctl-${nn}`, points };
  });
}

function makeLamps(route: ReturnType<typeof makeRoute>, models: LuminaireModel[]): LampPost[] {
  const legLengths = route.map((s) => lineLengthM(s.points));
  const total = legLengths.reduce((a, b) => a + b, 0);
  const spacing = (total - 20) / (LAMP_COUNT - 1);
  // Vendors test in runs of neighbouring posts: 30 types get 6 posts, 20 get 5 (280 in all).
  const order = [...models].sort(() => rnd() - 0.5);
  const runs = order.flatMap((m, i) => Array<string>(i < 30 ? 6 : 5).fill(m.id));
  const lamps: LampPost[] = [];
  for (let i = 0; i < LAMP_COUNT; i++) {
    const jitter = i === 0 || i === LAMP_COUNT - 1 ? 0 : between(-3, 3);
    const d = 10 + i * spacing + jitter;
    let s = 0;
    let start = 0;
    while (s < route.length - 1 && d > start + legLengths[s]!) start += legLengths[s++]!;
    const seg = route[s]!;
    const [lon, lat] = pointAlong(seg.points, d - start);
    const model = models.find((m) => m.id === runs[i])!;
    const height =
      model.roadClass === 'main' ? pick([10, 12]) : model.roadClass === 'collector' ? 8 : 6;
    lamps.push({
      id: `DOLL-${String(i + 1).padStart(4, '0')}`,
      lon: round(lon, 7),
      lat: round(lat, 7),
      distanceM: round(d, 1),
      segmentId: seg.id,
      controllerId: seg.controllerId,
      modelId: model.id,
      poleHeightM: height,
    });
  }
  return lamps;
}

const models = makeModels();
const catalog: Catalog = { vendors: VENDORS, models };
const route = makeRoute();
const lamps = makeLamps(route, models);
const geojson = {
  type: 'FeatureCollection',
  name: 'DOLL Living Lab test and demonstration route (approximate)',
  approximate: true,
  note:
    'Approximate geometry in Hersted Industripark, Albertslund, with fictional street names: the ' +
    'surveyed lamp coordinates are not public. Import the surveyed inventory to replace it.',
  features: [
    ...route.map((s) => ({
      type: 'Feature',
      geometry: {
        type: 'LineString',
        coordinates: s.points.map(([x, y]) => [round(x, 7), round(y, 7)]),
      },
      properties: { kind: 'segment', segmentId: s.id, name: s.name, controllerId: s.controllerId },
    })),
    ...lamps.map((l) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [l.lon, l.lat] },
      properties: {
        id: l.id,
        segmentId: l.segmentId,
        controllerId: l.controllerId,
        modelId: l.modelId,
        distanceM: l.distanceM,
        poleHeightM: l.poleHeightM,
      },
    })),
  ],
};
const dir = fileURLToPath(new URL('../shared/data/', import.meta.url));
writeFileSync(`${dir}catalog.json`, `${JSON.stringify(catalog, null, 2)}\n`);
writeFileSync(`${dir}doll-route.geojson`, `${JSON.stringify(geojson)}\n`);
console.log(
  `wrote ${models.length} models from ${VENDORS.length} vendors, ${route.length} segments, ${lamps.length} lamps`,
);

import { z } from 'zod';
import { Id, Text } from '../contract/common.ts';

export const SENSOR_KINDS = [
  'illuminance',
  'presence',
  'temperature',
  'airQuality',
  'sound',
] as const;
export const SensorKind = z.enum(SENSOR_KINDS);
export type SensorKind = z.infer<typeof SensorKind>;

export const Vendor = z.strictObject({
  id: Id,
  name: Text.min(1),
  country: z.string().length(2),
});
export type Vendor = z.infer<typeof Vendor>;

/** One point of a driver efficiency curve: efficiency at a fraction of rated load. */
const EfficiencyPoint = z.strictObject({
  load: z.number().min(0).max(1),
  efficiency: z.number().gt(0).max(1),
});

export const LuminaireModel = z
  .strictObject({
    id: Id,
    vendorId: Id,
    name: Text.min(1),
    /** Rated input power at 100 %, W. */
    ratedPowerW: z.number().positive().max(1000),
    /** Node and driver power with the light off, W. */
    standbyPowerW: z.number().min(0).max(10),
    lumens: z.number().positive(),
    /** Luminaire efficacy, lm/W. */
    efficacyLmPerW: z.number().positive().max(250),
    cctK: z.number().int().min(1800).max(6500),
    /** Driver efficiency against load fraction, sorted by load. */
    driverEfficiency: z.array(EfficiencyPoint).min(2),
    dimming: z.strictObject({
      minPct: z.number().min(0).max(100),
      maxPct: z.number().min(0).max(100),
    }),
    sensors: z.array(SensorKind),
    controlSystem: Id,
    /** Constant light output: drive power rises with operating hours to hold the lumens. */
    constantLightOutput: z.boolean(),
    /** Power factor at full load. */
    powerFactor: z.number().min(0).max(1),
    /** Road class the luminaire is made for. */
    roadClass: z.enum(['residential', 'collector', 'main']),
  })
  .refine((m) => m.dimming.minPct <= m.dimming.maxPct, {
    message: 'dimming.minPct is above maxPct',
    path: ['dimming'],
  });
export type LuminaireModel = z.infer<typeof LuminaireModel>;

export const Catalog = z.strictObject({
  vendors: z.array(Vendor).min(1),
  models: z.array(LuminaireModel).min(1),
});
export type Catalog = z.infer<typeof Catalog>;

export const LampPost = z.strictObject({
  id: Id,
  lon: z.number().min(-180).max(180),
  lat: z.number().min(-90).max(90),
  /** Distance along the route from its start, metres. */
  distanceM: z.number().min(0),
  segmentId: Id,
  controllerId: Id,
  modelId: Id,
  poleHeightM: z.number().positive().max(40),
});
export type LampPost = z.infer<typeof LampPost>;

export interface Segment {
  id: string;
  name: string;
  controllerId: string;
  lampIds: string[];
  /** Length along the route covered by this segment's lamps, metres. */
  lengthM: number;
}

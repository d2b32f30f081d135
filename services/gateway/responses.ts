/**
 * The REST answers: one zod schema per response envelope, exactly what the handlers send. The
 * operations table names them, `/openapi.json` documents them and the dashboard takes its types
 * from them (`z.output`), so the three cannot drift apart.
 */
import { z } from 'zod';
import {
  Alarm,
  Id,
  LampEvent,
  NightProgram,
  TelemetryField,
  Timestamp,
} from '../../shared/contract/index.ts';
import { LampPost, LuminaireModel, Vendor } from '../../shared/registry/index.ts';
import { CommandSummary, LampCommandState, LiveLamp } from './api.ts';
import { AUDIT_ACTIONS } from './audit/AuditLog.ts';
import { Role } from './auth/roles.ts';
import { ReportFile, Schedule } from './reports/schedule.ts';
import { Trial } from './trials/trial.ts';

const ok = z.literal(true);
const count = z.number().int().min(0);
const kWh = z.number();

export const OkResponse = z.object({ ok });

export const HealthResponse = z.object({
  ok,
  service: z.literal('gateway'),
  uptimeS: z.number().int(),
  store: z.string().nullable(),
  /** Messages from the broker: received, refused (bad or forged) and commands published; null without MQTT. */
  mqtt: z.object({ received: count, rejected: count, forged: count, published: count }).nullable(),
});

// ---- users and tokens ----

export const PublicUser = z.object({
  username: z.string(),
  role: Role,
  vendorId: Id.optional(),
  createdAt: Timestamp,
});
export type PublicUser = z.output<typeof PublicUser>;

export const PublicToken = z.object({
  id: z.string(),
  username: z.string(),
  kind: z.enum(['session', 'api']),
  name: z.string().optional(),
  createdAt: Timestamp,
  expiresAt: Timestamp.optional(),
  revokedAt: Timestamp.optional(),
});
export type PublicToken = z.output<typeof PublicToken>;

export const PrincipalView = z.object({
  username: z.string(),
  role: Role,
  vendorId: Id.optional(),
  tokenId: z.string(),
});

export const UserResponse = z.object({ ok, user: PublicUser });
export const UsersResponse = z.object({ ok, count, users: z.array(PublicUser) });
export const SessionResponse = z.object({ ok, token: z.string(), expiresAt: Timestamp });
export const MeResponse = z.object({ ok, principal: PrincipalView });
export const TokensResponse = z.object({ ok, count, tokens: z.array(PublicToken) });
export const TokenCreatedResponse = z.object({ ok, token: z.string(), record: PublicToken });
export const TokenResponse = z.object({ ok, record: PublicToken });

// ---- registry and live state ----

export const RegistryLamp = LampPost.extend({ vendorId: Id });
export const LampsResponse = z.object({
  ok,
  /** The shipped route geometry is approximate until a surveyed inventory is imported. */
  approximate: z.boolean(),
  count,
  lamps: z.array(RegistryLamp),
});
export type LampsResponse = z.output<typeof LampsResponse>;

/**
 * The same lamps as `LampsResponse`, as columns: one array per field, and segment, vendor and
 * model as indexes into their name lists. About a fifth of the bytes at 100,000 lamps.
 */
export const LampColumnsResponse = z.object({
  ok,
  approximate: z.boolean(),
  count,
  ids: z.array(Id),
  lon: z.array(z.number()),
  lat: z.array(z.number()),
  segments: z.array(Id),
  vendors: z.array(Id),
  models: z.array(Id),
  segment: z.array(count),
  vendor: z.array(count),
  model: z.array(count),
});
export type LampColumnsResponse = z.output<typeof LampColumnsResponse>;

export const LampResponse = z.object({
  ok,
  lamp: LampPost,
  live: LiveLamp,
  /** The program the lamp runs: the lab's default program unless another was assigned. */
  programId: Id,
});
export type LampResponse = z.output<typeof LampResponse>;

export const LiveResponse = z.object({ ok, count, lamps: z.array(LiveLamp) });
export type LiveResponse = z.output<typeof LiveResponse>;

export const SegmentView = z.object({
  id: Id,
  name: z.string(),
  controllerId: Id,
  lampIds: z.array(Id),
  lengthM: z.number(),
  /** The segment's line as [lon, lat] pairs. */
  geometry: z.array(z.tuple([z.number(), z.number()])).nullable(),
});
export const SegmentsResponse = z.object({ ok, count, segments: z.array(SegmentView) });
export type SegmentsResponse = z.output<typeof SegmentsResponse>;

export const VendorView = Vendor.extend({ lampCount: count });
export const VendorsResponse = z.object({ ok, count, vendors: z.array(VendorView) });
export type VendorsResponse = z.output<typeof VendorsResponse>;

export const ModelView = z.object({ ...LuminaireModel.shape, lampCount: count });
export const ModelsResponse = z.object({ ok, count, models: z.array(ModelView) });
export type ModelsResponse = z.output<typeof ModelsResponse>;

// ---- history, energy, events, alarms ----

export const HistorySeries = z.object({
  lampId: Id,
  points: z.array(z.object({ t: Timestamp, value: z.number().nullable() })),
});
export const HistoryResponse = z.object({
  ok,
  field: TelemetryField,
  agg: z.enum(['mean', 'min', 'max', 'last']),
  bucketMs: z.number().int(),
  from: Timestamp,
  to: Timestamp,
  series: z.array(HistorySeries),
});
export type HistoryResponse = z.output<typeof HistoryResponse>;

export const EnergyResponse = z.object({
  ok,
  groupBy: z.enum(['lamp', 'segment', 'vendor']),
  from: Timestamp,
  to: Timestamp,
  rows: z.array(z.object({ key: Id, kWh })),
});
export type EnergyResponse = z.output<typeof EnergyResponse>;

export const StoredEvent = LampEvent.extend({ segmentId: Id, vendorId: Id, modelId: Id });
export const EventsResponse = z.object({
  ok,
  from: Timestamp,
  to: Timestamp,
  count,
  events: z.array(StoredEvent),
});
export type EventsResponse = z.output<typeof EventsResponse>;

/** An alarm the processor holds raised, as the gateway keeps it: with its acknowledgement. */
export const ActiveAlarm = z.object({
  ...Alarm.shape,
  /** Vendor of the alarm's lamp, for vendor scoping. */
  vendorId: Id.optional(),
  acknowledgedBy: z.string().optional(),
  acknowledgedAt: Timestamp.optional(),
});
export type ActiveAlarm = z.output<typeof ActiveAlarm>;

export const AlarmsResponse = z.object({ ok, count, alarms: z.array(ActiveAlarm) });
export type AlarmsResponse = z.output<typeof AlarmsResponse>;
export const AlarmHistoryResponse = z.object({
  ok,
  from: Timestamp,
  to: Timestamp,
  count,
  alarms: z.array(Alarm),
});
export type AlarmHistoryResponse = z.output<typeof AlarmHistoryResponse>;
export const AlarmResponse = z.object({ ok, alarm: ActiveAlarm });

// ---- commands and programs ----

export const CommandResponse = z.object({ ok, command: CommandSummary });
export type CommandResponse = z.output<typeof CommandResponse>;
export const CommandsResponse = z.object({ ok, count, commands: z.array(CommandSummary) });
export type CommandsResponse = z.output<typeof CommandsResponse>;
export const CommandDetailResponse = z.object({
  ok,
  command: CommandSummary,
  lamps: z.array(LampCommandState),
});
export type CommandDetailResponse = z.output<typeof CommandDetailResponse>;

export const ProgramView = NightProgram.extend({
  lampCount: count,
  /** The program lamps run unless another is assigned. */
  isDefault: z.boolean(),
});
export const ProgramsResponse = z.object({ ok, count, programs: z.array(ProgramView) });
export type ProgramsResponse = z.output<typeof ProgramsResponse>;
export const ProgramResponse = z.object({ ok, program: NightProgram });
export const ProgramUpdatedResponse = z.object({
  ok,
  program: NightProgram,
  /** The redelivery to the lamps that run it; null when none does. */
  delivery: CommandSummary.nullable(),
});

// ---- reports, audit, registry, export ----

const Percentiles = z.object({
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  samples: count,
});
const NullableNumber = z.number().nullable();
export const ModelReport = z.object({
  modelId: Id,
  modelName: z.string(),
  lamps: count,
  nights: z.array(z.object({ night: z.string(), kWh, kWhPerLamp: kWh, complete: z.boolean() })),
  kWhPerLampPerNight: kWh.nullable(),
  energyBasis: z.enum(['complete nights', 'night so far', 'none']),
  routeMedianKWhPerLampPerNight: kWh.nullable(),
  deviationFromRouteMedianPct: NullableNumber,
  /** Steady-state readings only; `samples` readings in `minutes` steady lamp-minutes. */
  dimmingCurve: z.array(
    z.object({ level: z.number(), powerW: NullableNumber, samples: count, minutes: count }),
  ),
  availabilityPct: NullableNumber,
  availability: z.object({ bucketsWithData: count, bucketsExpected: count }),
  operatingHours: z.number(),
  operatingHoursPerLamp: NullableNumber,
  switchOns: z.number(),
  switchOnsPerLamp: NullableNumber,
  failures: count,
  failuresByType: z.array(z.object({ type: z.string(), count, per1000h: NullableNumber })),
  failuresPer1000h: NullableNumber,
  powerCreep: z
    .object({
      atLevel: NullableNumber,
      wPer1000h: NullableNumber,
      pctPer1000h: NullableNumber,
      samples: count,
    })
    .nullable(),
  luxPerWatt: z.object({ value: NullableNumber, samples: count }),
  commandResponseMs: Percentiles,
});
export type ModelReport = z.output<typeof ModelReport>;
export const VendorReportResponse = z.object({
  ok,
  vendor: Vendor,
  from: Timestamp,
  to: Timestamp,
  nights: z.number().int(),
  nightsReported: z.array(z.string()),
  bucketMs: z.number().int(),
  generatedAt: Timestamp,
  models: z.array(ModelReport),
});
export type VendorReportResponse = z.output<typeof VendorReportResponse>;

const Interval = z.object({ low: z.number(), high: z.number() }).nullable();
const GroupFigures = z.object({ lamps: count, lampNights: count, kWhPerLampNight: kWh.nullable() });
export const TrialsResponse = z.object({ ok, trials: z.array(Trial) });
export const TrialResponse = z.object({ ok, trial: Trial });
/** Group figures only: a vendor never sees another vendor's lamps or per-lamp values. */
export const TrialReportResponse = z.object({
  ok,
  trial: Trial,
  route: z.string(),
  from: Timestamp,
  to: Timestamp,
  nights: z.array(z.string()),
  method: z.string(),
  caveats: z.array(z.string()),
  generatedAt: Timestamp,
  comparison: z.object({
    test: GroupFigures,
    control: GroupFigures,
    matched: z.object({ testLampNights: count, controlLampNights: count, strata: count }),
    differenceKWh: NullableNumber,
    differencePct: NullableNumber,
    ci95KWh: Interval,
    ci95Pct: Interval,
    conclusion: z.enum([
      'test uses less energy',
      'test uses more energy',
      'no difference shown',
      'too few data to conclude',
    ]),
    bootstrap: z.object({ resamples: count, seed: count }),
    nights: z.array(
      z.object({
        night: z.string(),
        testKWhPerLamp: NullableNumber,
        controlKWhPerLamp: NullableNumber,
      }),
    ),
  }),
});
export type TrialReportResponse = z.output<typeof TrialReportResponse>;

export const ReportSchedulesResponse = z.object({ ok, schedules: z.array(Schedule) });
export const ReportScheduleResponse = z.object({ ok, schedule: Schedule });
export const ReportFilesResponse = z.object({
  ok,
  files: z.array(ReportFile.extend({ url: z.string() })),
});

export const AuditEntry = z.object({
  id: z.string(),
  ts: Timestamp,
  actor: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  /** What it applied to: a command id, a program id, a user name... */
  subject: z.string(),
  lampCount: count.optional(),
  outcome: z.enum(['ok', 'partial', 'failed', 'rejected', 'pending']),
  detail: z.record(z.string(), z.unknown()).optional(),
  /** Which gateway wrote it (GATEWAY_NODE_ID), when several share the trail. */
  node: z.string().optional(),
});
export type AuditEntry = z.output<typeof AuditEntry>;
export const AuditResponse = z.object({ ok, count, entries: z.array(AuditEntry) });
export type AuditResponse = z.output<typeof AuditResponse>;

export const InventorySavedResponse = z.object({
  ok,
  saved: z.string(),
  appliesAt: z.literal('next start'),
  lamps: count,
  segments: count,
});
export const InventoryCheckedResponse = z.object({
  ok,
  dryRun: z.literal(true),
  lamps: count,
  segments: count,
});

const NgsiProperty = z.object({
  type: z.literal('Property'),
  value: z.unknown(),
  unitCode: z.string().optional(),
  observedAt: z.string().optional(),
});
const NgsiRelationship = z.object({ type: z.literal('Relationship'), object: z.string() });
/** A FIWARE Streetlight entity (NGSI-LD, normalized). */
export const StreetlightEntity = z
  .object({
    id: z.string(),
    type: z.literal('Streetlight'),
    '@context': z.array(z.string()),
    location: z.object({
      type: z.literal('GeoProperty'),
      value: z.object({ type: z.literal('Point'), coordinates: z.tuple([z.number(), z.number()]) }),
    }),
  })
  .catchall(z.union([NgsiProperty, NgsiRelationship]));
export const FiwareExportResponse = z.array(StreetlightEntity);

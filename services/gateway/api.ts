/**
 * The gateway's own wire types: REST bodies, WebSocket frames and live-state records. Built from
 * the shared contract so the dashboard, the OpenAPI document and the handlers agree.
 */
import { z } from 'zod';
import { Id, LampCommand, Level, Telemetry, Text, Timestamp } from '../../shared/contract/index.ts';
import { type Permission, Role } from './auth/roles.ts';
import type { ActiveAlarm } from './responses.ts';

/** Latest known state of one lamp, as REST and the WebSocket deliver it. */
export const LiveLamp = z.object({
  lampId: Id,
  segmentId: Id,
  vendorId: Id,
  modelId: Id,
  status: z.enum(['online', 'offline', 'unknown']),
  statusTs: Timestamp.nullable(),
  telemetry: Telemetry.nullable(),
});
export type LiveLamp = z.infer<typeof LiveLamp>;

export const CommandTarget = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('lamp'), lampId: Id }),
  z.strictObject({ kind: z.literal('lamps'), lampIds: z.array(Id).min(1).max(20_000) }),
  z.strictObject({ kind: z.literal('segment'), segmentId: Id }),
  z.strictObject({ kind: z.literal('segments'), segmentIds: z.array(Id).min(1).max(1000) }),
  z.strictObject({ kind: z.literal('vendor'), vendorId: Id }),
  z.strictObject({ kind: z.literal('route') }),
]);
export type CommandTarget = z.infer<typeof CommandTarget>;

const overrideOption = LampCommand.options[0];
/** What a person asks for; the gateway adds commandId, issuedAt and issuedBy. */
export const CommandAction = z.discriminatedUnion('type', [
  overrideOption.pick({
    type: true,
    level: true,
    rampMs: true,
    reason: true,
    start: true,
    expiresAt: true,
  }),
  z.strictObject({ type: z.literal('release'), reason: Text.optional() }),
]);
export type CommandAction = z.infer<typeof CommandAction>;

export const CommandRequest = z.strictObject({ target: CommandTarget, action: CommandAction });
export type CommandRequest = z.input<typeof CommandRequest>;

export const LAMP_COMMAND_STATES = ['pending', 'acked', 'rejected', 'timedOut'] as const;
export const COMMAND_STATES = ['pending', 'acked', 'partial', 'rejected', 'timedOut'] as const;

export const CommandSummary = z.object({
  commandId: Id,
  target: CommandTarget,
  type: z.enum(['override', 'release', 'assignProgram']),
  level: Level.optional(),
  issuedBy: z.string(),
  issuedAt: Timestamp,
  status: z.enum(COMMAND_STATES),
  lampCount: z.number().int(),
  counts: z.object({
    pending: z.number(),
    acked: z.number(),
    rejected: z.number(),
    timedOut: z.number(),
  }),
  /** Round trip from first send to first ack, ms, over the lamps that acked. */
  rttMs: z.object({
    p50: z.number().nullable(),
    p95: z.number().nullable(),
    max: z.number().nullable(),
  }),
  completedAt: Timestamp.optional(),
});
export type CommandSummary = z.infer<typeof CommandSummary>;

export const LampCommandState = z.object({
  lampId: Id,
  state: z.enum(LAMP_COMMAND_STATES),
  attempts: z.number().int(),
  rttMs: z.number().optional(),
  reason: z.string().optional(),
  actualLevel: z.number().optional(),
});
export type LampCommandState = z.infer<typeof LampCommandState>;

// ---- WebSocket frames ----

/** Telemetry fields the live stream carries, one column each. */
export const LIVE_FIELDS = [
  'actualLevel',
  'targetLevel',
  'activePower',
  'supplyVoltage',
  'supplyCurrent',
  'activeEnergy',
  'illuminance',
  'seq',
] as const satisfies readonly (keyof Telemetry)[];
export type LiveField = (typeof LIVE_FIELDS)[number];
/** `LiveColumns.status` holds positions in this list. */
export const LIVE_STATUS = [
  'unknown',
  'online',
  'offline',
] as const satisfies readonly LiveLamp['status'][];

/**
 * The live state of many lamps as parallel arrays, so a frame grows by about 70 bytes a lamp and
 * not by a JSON object each: entry k of every column belongs to the lamp at `lampIds[i[k]]` of
 * the subscription's snapshot. `statusTs` and `ts` are ms relative to the frame's `t0`. A lamp
 * with no reading yet has null in `ts` and in every field column; `illuminance` is null where
 * the post has no light sensor. Values are rounded to the precision of their quantity.
 */
export type LiveColumns = {
  i: number[];
  status: number[];
  statusTs: (number | null)[];
  ts: (number | null)[];
} & { [F in LiveField]: (number | null)[] };

/** Client to gateway. */
export const WsClientFrame = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('subscribe'),
    /** Everything the principal may see. */
    all: z.boolean().optional(),
    lamps: z.array(Id).max(20_000).optional(),
    segments: z.array(Id).max(1000).optional(),
    alarms: z.boolean().optional(),
    commands: z.boolean().optional(),
    /**
     * `binary`: the snapshot and deltas come as binary messages (shared/live/binaryFrames.ts,
     * GLF1) in the registry columns' order, without lamp ids; default `json`.
     */
    format: z.enum(['json', 'binary']).optional(),
  }),
  z.strictObject({ type: z.literal('unsubscribe') }),
  // The request is checked by the same code as POST /api/commands, so issue paths match REST.
  z.strictObject({
    type: z.literal('command'),
    ref: z.string().max(64).optional(),
    request: z.unknown(),
  }),
  z.strictObject({ type: z.literal('ping') }),
]);
export type WsClientFrame =
  | Exclude<z.input<typeof WsClientFrame>, { type: 'command' }>
  | { type: 'command'; ref?: string; request: CommandRequest };

/** Gateway to client (documentation and the dashboard's type; the gateway builds these). */
export type WsServerFrame =
  | {
      type: 'hello';
      username: string;
      role: Role;
      vendorId?: string;
      /** What this principal may do, so clients show only what works. */
      permissions: Permission[];
    }
  /** Every lamp in scope: `lampIds` fixes the positions that this and later frames use. */
  | { type: 'snapshot'; t0: number; lampIds: string[]; live: LiveColumns; alarms?: ActiveAlarm[] }
  | { type: 'delta'; t0: number; live: LiveColumns }
  | { type: 'alarm'; alarm: ActiveAlarm }
  | { type: 'command'; command: CommandSummary }
  | { type: 'commandAccepted'; ref?: string; command: CommandSummary }
  | {
      type: 'error';
      status: number;
      code?: string;
      error: string;
      ref?: string;
      issues?: { path: string; message: string }[];
    }
  | { type: 'pong' };

// ---- users and tokens ----

export const Username = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{1,31}$/, 'usernames: 2-32 of a-z 0-9 . _ -');
export const Password = z.string().min(12, 'passwords have at least 12 characters').max(256);

export const LoginRequest = z.strictObject({
  username: z.string().max(64),
  password: z.string().max(256),
});
export const BootstrapRequest = z.strictObject({
  secret: z.string().max(200),
  username: Username,
  password: Password,
});
export const CreateUserRequest = z
  .strictObject({ username: Username, password: Password, role: Role, vendorId: Id.optional() })
  .refine((u) => (u.role === 'vendor') === (u.vendorId !== undefined), {
    message: 'vendorId is required for the vendor role and only for it',
    path: ['vendorId'],
  });
export const CreateTokenRequest = z.strictObject({
  name: Text.min(1),
  /** Defaults to the caller; admins may issue tokens for other users. */
  username: Username.optional(),
  expiresAt: Timestamp.optional(),
});

export const AlarmAckRequest = z.strictObject({ note: Text.optional() });

export const ProgramAssignRequest = z
  .strictObject({
    lampIds: z.array(Id).max(20_000).optional(),
    segmentIds: z.array(Id).max(1000).optional(),
  })
  .refine((a) => (a.lampIds?.length ?? 0) + (a.segmentIds?.length ?? 0) > 0, {
    message: 'assign to at least one lamp or segment',
    path: ['lampIds'],
  });

/** Largest inventory an admin may upload, characters (about 100,000 lamp posts of CSV). */
export const MAX_INVENTORY_CHARS = 8_000_000;

/** An admin's inventory import: the file's text, checked like INVENTORY_PATH at start. */
export const InventoryImportRequest = z.strictObject({
  format: z.enum(['csv', 'geojson']),
  content: z.string().min(1).max(MAX_INVENTORY_CHARS),
  /** Only validate; save nothing. */
  dryRun: z.boolean().default(false),
});
export type InventoryImportRequest = z.input<typeof InventoryImportRequest>;

// The REST answers, so that `api.ts` is the whole wire contract a client imports types from.
export type * from './responses.ts';

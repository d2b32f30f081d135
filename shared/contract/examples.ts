/**
 * One or more valid example of every message. The AsyncAPI document is generated with them, and
 * the contract tests use them as the accept side of their fixture tables.
 */
import type { Alarm, DeadLetter } from './alarms.ts';
import type { CommandAck, LampCommandInput, NightProgram } from './commands.ts';
import type { LampEvent } from './events.ts';
import type { LampStatus } from './status.ts';
import type { SegmentBatch, Telemetry } from './telemetry.ts';
import type { MessageKind } from './topics.ts';

/** 2026-11-22 21:00:00 UTC, a November evening on the route. */
export const EXAMPLE_TS = 1_795_381_200_000;

/**
 * Readings of two lamps of the shipped route at 50 % in their eleventh thousand hours: the power,
 * power factor and current their catalog models draw there (no alarm at the processor's
 * defaults), sensor fields only where the model has the sensors. test/contract/examples.test.ts
 * holds every example to the shipped registry and the alarm engine.
 */
export const exampleTelemetry: Telemetry = {
  lampId: 'DOLL-0043',
  seq: 18_211,
  ts: EXAMPLE_TS,
  targetLevel: 50,
  actualLevel: 50,
  activePower: 39.7,
  activeEnergy: 412.873,
  supplyVoltage: 231.2,
  supplyCurrent: 0.21,
  powerFactor: 0.82,
  operatingHours: 9_841.5,
  switchOnCounter: 2_315,
  gearTemperature: 31.5,
  illuminance: 2.1,
  presenceCount: 1,
};

const plainReading: Telemetry = {
  lampId: 'DOLL-0042',
  seq: 18_190,
  ts: EXAMPLE_TS,
  targetLevel: 50,
  actualLevel: 50,
  activePower: 12.9,
  activeEnergy: 141.36,
  supplyVoltage: 231.0,
  supplyCurrent: 0.069,
  powerFactor: 0.8,
  operatingHours: 9_799.2,
  switchOnCounter: 2_301,
  gearTemperature: 30.9,
};

export const exampleBatch: SegmentBatch = {
  segmentId: 'seg-02',
  controllerId: 'ctl-02',
  ts: EXAMPLE_TS + 250,
  readings: [exampleTelemetry, plainReading],
};

export const exampleStatusOnline: LampStatus = {
  lampId: 'DOLL-0042',
  state: 'online',
  ts: EXAMPLE_TS - 60_000,
  firmware: '2.4.1',
  vendor: 'ostrava-svet',
  model: 'ostrava-svet-linea-24',
};

/** The last will a lamp registers at connect; the broker publishes it, retained, if it drops. */
export const exampleStatusLastWill: LampStatus = {
  lampId: 'DOLL-0042',
  state: 'offline',
  ts: EXAMPLE_TS - 60_000,
};

export const exampleEvent: LampEvent = {
  lampId: 'DOLL-0042',
  ts: EXAMPLE_TS,
  seq: 18_212,
  type: 'lampFailure',
  active: true,
  value: 0.5,
  detail: 'no load current at 50 % command',
};

/** Lejre's night program (design notes): 50 % from sunset, 10 % 01:30-04:45, 50 % to 06:00. */
export const exampleProgram: NightProgram = {
  id: 'lejre',
  name: 'Lejre night program',
  steps: [
    { at: { kind: 'astro', event: 'sunset', offsetMin: 0 }, level: 50 },
    { at: { kind: 'fixed', time: '01:30' }, level: 10 },
    { at: { kind: 'fixed', time: '04:45' }, level: 50 },
    { at: { kind: 'fixed', time: '06:00' }, level: 100 },
    { at: { kind: 'astro', event: 'sunrise', offsetMin: 0 }, level: 0 },
  ],
};

export const exampleOverride: LampCommandInput = {
  commandId: 'cmd-7f3a9c',
  type: 'override',
  issuedAt: EXAMPLE_TS,
  issuedBy: 'operator-anna',
  level: 80,
  rampMs: 2_000,
  reason: 'road works on Lysvej',
  expiresAt: EXAMPLE_TS + 3 * 3_600_000,
};

export const exampleRelease: LampCommandInput = {
  commandId: 'cmd-7f3aa0',
  type: 'release',
  issuedAt: EXAMPLE_TS + 3_600_000,
};

export const exampleAssignProgram: LampCommandInput = {
  commandId: 'cmd-7f3ab1',
  type: 'assignProgram',
  issuedAt: EXAMPLE_TS,
  program: exampleProgram,
};

export const exampleAckApplied: CommandAck = {
  commandId: 'cmd-7f3a9c',
  lampId: 'DOLL-0042',
  ts: EXAMPLE_TS + 2_050,
  status: 'applied',
  actualLevel: 80,
};

/** The override above, delivered after it expired (a lamp that was offline for three hours). */
export const exampleAckRejected: CommandAck = {
  commandId: 'cmd-7f3a9c',
  lampId: 'DOLL-0042',
  ts: EXAMPLE_TS + 3 * 3_600_000 + 40,
  status: 'rejected',
  actualLevel: 50,
  reason: 'expired: expiresAt 2026-11-23T00:00:00.000Z has passed',
};

/** Raised as soon as half of the segment's 22 lamps have lost supply (the processor's default). */
export const exampleAlarm: Alarm = {
  alarmId: 'segmentSupplyLoss:seg-03',
  type: 'segmentSupplyLoss',
  state: 'raised',
  severity: 'critical',
  segmentId: 'seg-03',
  ts: EXAMPLE_TS,
  detail: '11 of 22 lamps without supply or silent',
};

/** What a consumer publishes for the second reading above sent alone with dim level 101. */
export const exampleDeadLetter: DeadLetter = {
  ts: EXAMPLE_TS,
  topic: 'gadelys/v1/lamp/DOLL-0042/telemetry',
  reason: 'schema: telemetry: actualLevel: Too big: expected number to be <=100',
  path: 'actualLevel',
  bytes: 259,
  payload: JSON.stringify({ ...plainReading, actualLevel: 101 }),
};

/** Examples by message kind, named for the AsyncAPI document. */
export const EXAMPLES: Record<MessageKind, { name: string; summary: string; payload: unknown }[]> =
  {
    telemetry: [
      {
        name: 'dimmedWithSensors',
        summary: 'A lamp at 50 % with light and presence sensors',
        payload: exampleTelemetry,
      },
    ],
    batch: [
      {
        name: 'twoLamps',
        summary: 'A segment controller reporting two lamps',
        payload: exampleBatch,
      },
    ],
    status: [
      { name: 'birth', summary: 'Birth message, retained', payload: exampleStatusOnline },
      {
        name: 'lastWill',
        summary: 'Last will, published by the broker on an abrupt disconnect',
        payload: exampleStatusLastWill,
      },
    ],
    event: [{ name: 'lampFailure', summary: 'The light source failed', payload: exampleEvent }],
    cmd: [
      { name: 'override', summary: 'Dim to 80 % over 2 s for 3 hours', payload: exampleOverride },
      { name: 'release', summary: 'Return to the night program', payload: exampleRelease },
      {
        name: 'assignProgram',
        summary: "Assign Lejre's night program",
        payload: exampleAssignProgram,
      },
    ],
    ack: [
      {
        name: 'applied',
        summary: 'The ramp finished at the commanded level',
        payload: exampleAckApplied,
      },
      { name: 'rejected', summary: 'Rejected with a reason', payload: exampleAckRejected },
    ],
    alarm: [
      {
        name: 'segmentSupplyLoss',
        summary: 'One alarm for a whole segment',
        payload: exampleAlarm,
      },
    ],
    deadletter: [
      {
        name: 'levelOutOfRange',
        summary: 'A reading with dim level 101',
        payload: exampleDeadLetter,
      },
    ],
  };

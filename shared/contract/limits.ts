/**
 * Limits every consumer of the message contract enforces. They are part of the contract: a
 * producer that stays inside them is never rejected, and the AsyncAPI document states them.
 */
export const LIMITS = {
  /** Largest single-lamp payload (telemetry, status, event, command, ack), in bytes. */
  maxPayloadBytes: 4 * 1024,
  /** Largest segment-controller batch payload, in bytes. */
  maxBatchPayloadBytes: 256 * 1024,
  /** Most readings in one segment batch. */
  maxBatchReadings: 500,
  /** How far a device timestamp may run ahead of the receiver's clock, in ms. */
  maxFutureSkewMs: 5 * 60_000,
  /**
   * How old a device timestamp may be (buffered readings after an outage), in ms. Not for lamp
   * status: a last will is stamped at connect and sent when the connection drops.
   */
  maxPastSkewMs: 7 * 24 * 3_600_000,
  /** Length of lamp, segment, controller, model, vendor and command ids. */
  maxIdLength: 64,
  /** Length of free-text fields (reason, detail, firmware, model names). */
  maxTextLength: 256,
  /** Dead-letter records carry at most this much of the rejected payload. */
  maxDeadLetterPayloadChars: 1024,
} as const;

/** Numeric ranges of telemetry fields (units in the field names' TSDoc in telemetry.ts). */
export const RANGES = {
  level: { min: 0, max: 100 },
  activePowerW: { min: 0, max: 5_000 },
  activeEnergyKWh: { min: 0, max: 10_000_000 },
  supplyVoltageV: { min: 0, max: 500 },
  supplyCurrentA: { min: 0, max: 50 },
  powerFactor: { min: 0, max: 1 },
  operatingHours: { min: 0, max: 1_000_000 },
  switchOnCounter: { min: 0, max: 100_000_000 },
  gearTemperatureC: { min: -60, max: 150 },
  illuminanceLux: { min: 0, max: 200_000 },
  presenceCount: { min: 0, max: 10_000 },
  rampMs: { min: 0, max: 3_600_000 },
  sequence: { min: 0, max: Number.MAX_SAFE_INTEGER },
  /** Device timestamps: 2000-01-01 to 2100-01-01, epoch ms. */
  timestampMs: { min: 946_684_800_000, max: 4_102_444_800_000 },
} as const;

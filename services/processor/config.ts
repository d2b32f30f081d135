import { z } from 'zod';
import { ServiceUsernameEnvShape } from '../../shared/auth/serviceAccounts.ts';
import { InventoryEnvShape } from '../../shared/bootstrap/inventory.ts';
import { env, loadConfig } from '../../shared/config.ts';
import { StoreEnvShape } from '../../shared/storage/config.ts';
import { parsePartition, parsePlan } from './partition.ts';

/** Named defaults (every variable is listed in .env.example). */
export const PROCESSOR_DEFAULTS = {
  mqttUrl: 'mqtt://127.0.0.1:1883',
  /** Fixed client id: with clean session off the broker keeps our subscriptions and queue. */
  clientId: 'gadelys-processor',
  spoolDir: './data/spool',
  /** Readings per store write; 5,000-10,000 lines is InfluxDB's sweet spot. */
  batchSize: 5_000,
  /** Longest a reading waits for a full batch before it is written, ms. */
  flushIntervalMs: 250,
  /** fsync the journal at least this often, ms (a killed process loses nothing; a crashed machine this much). */
  fsyncIntervalMs: 100,
  /** Readings held in memory ahead of the store; beyond it they are read back from the spool. */
  memoryReadings: 20_000,
  /** Journal segment size before it rolls over, bytes. */
  segmentBytes: 64 * 1024 * 1024,
  /**
   * Store writes in flight at once while the store keeps up (the raw InfluxDB baseline uses
   * two writers too); commits stay in order, and after a failure it is one at a time.
   */
  writesInFlight: 2,
  /** Retry delay after a failed store write: doubles up to the max, ms. */
  retryMinMs: 200,
  retryMaxMs: 5_000,
  metricsPort: 9464,
  /** Expected telemetry interval of a lamp, ms; comms lost after `commsLostIntervals` of silence. */
  reportIntervalMs: 60_000,
  commsLostIntervals: 3,
  /** A command without an ack after this long raises commandNotAcked, ms. */
  ackTimeoutMs: 30_000,
  /** Measured power may differ from the model's expected power by this fraction. */
  powerTolerance: 0.25,
  /** Lamps of a segment in supply loss at once that make one segment alarm (fraction, and at least). */
  supplyLossFraction: 0.5,
  supplyLossMinLamps: 3,
  /** Supply voltage below this counts as supply loss, V. */
  supplyLossVolts: 100,
  /** Sun altitude above which a burning lamp is day-burning, degrees. */
  dayAltitudeDeg: 3,
  /**
   * Retention per resolution, days (0: kept forever). At the route's 1 Hz, about 24 M raw
   * readings a day: 14 days of raw data, 90 days of 1-minute rollups (400 k rows a day) and
   * the 1-hour rollups (6,700 rows a day) for good (docs/storage.md has sizes per month).
   */
  retentionRawDays: 14,
  retention1mDays: 90,
  retention1hDays: 0,
} as const;

const D = PROCESSOR_DEFAULTS;

/** An optional partition variable, rejected at load with the parser's reason. */
const partitionSpec = (parse: (text: string) => unknown) =>
  env.optionalString().superRefine((value, ctx) => {
    if (value === undefined) return;
    try {
      parse(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

export const ProcessorEnv = z.object({
  MQTT_URL: env.url(D.mqttUrl),
  PROCESSOR_MQTT_USERNAME: ServiceUsernameEnvShape.PROCESSOR_MQTT_USERNAME,
  /** Defaults to servicePassword('processor', LAB_SECRET), whatever the username. */
  PROCESSOR_MQTT_PASSWORD: env.optionalString(),
  PROCESSOR_CLIENT_ID: env.string(D.clientId),
  /** Subscribe through `$share/<group>/` (Mosquitto 2, EMQX; not aedes) to share the stream. */
  PROCESSOR_SHARE_GROUP: env.optionalString(),
  /**
   * Share the stream on any broker (aedes included): this processor takes the lamps of partition
   * `i/n` of the segments (stable hash of the segment id) or of `segments:<id>,<id>` only. Each
   * processor needs its own PROCESSOR_CLIENT_ID (docs/cluster.md).
   */
  PROCESSOR_PARTITION: partitionSpec(parsePartition),
  /** Every partition of the deployment, `;`-separated: checked at start to cover each lamp once. */
  PROCESSOR_PARTITION_PLAN: partitionSpec(parsePlan),
  LAB_SECRET: env.optionalString(),
  /** The inventory: INVENTORY_PATH, else one uploaded through the gateway, else the shipped route. */
  ...InventoryEnvShape,
  ...StoreEnvShape,
  SPOOL_DIR: env.string(D.spoolDir),
  PROCESSOR_BATCH_SIZE: env.int(D.batchSize, 1, 50_000),
  PROCESSOR_FLUSH_INTERVAL_MS: env.int(D.flushIntervalMs, 1, 60_000),
  PROCESSOR_FSYNC_INTERVAL_MS: env.int(D.fsyncIntervalMs, 1, 60_000),
  PROCESSOR_MEMORY_READINGS: env.int(D.memoryReadings, 1_000, 5_000_000),
  PROCESSOR_RETRY_MAX_MS: env.int(D.retryMaxMs, 10, 600_000),
  PROCESSOR_METRICS_PORT: env.port(D.metricsPort),
  PROCESSOR_METRICS_HOST: env.string('127.0.0.1'),
  ALARM_REPORT_INTERVAL_MS: env.int(D.reportIntervalMs, 1_000, 86_400_000),
  ALARM_COMMS_LOST_INTERVALS: env.int(D.commsLostIntervals, 1, 1_000),
  ALARM_ACK_TIMEOUT_MS: env.int(D.ackTimeoutMs, 100, 86_400_000),
  ALARM_POWER_TOLERANCE: env.number(D.powerTolerance, 0.01, 10),
  ALARM_SUPPLY_LOSS_FRACTION: env.number(D.supplyLossFraction, 0.01, 1),
  ALARM_SUPPLY_LOSS_MIN_LAMPS: env.int(D.supplyLossMinLamps, 1, 10_000),
  ALARM_SUPPLY_LOSS_VOLTS: env.number(D.supplyLossVolts, 0, 500),
  ALARM_DAY_ALTITUDE_DEG: env.number(D.dayAltitudeDeg, -18, 90),
  RETENTION_RAW_DAYS: env.int(D.retentionRawDays, 0, 100_000),
  RETENTION_1M_DAYS: env.int(D.retention1mDays, 0, 100_000),
  RETENTION_1H_DAYS: env.int(D.retention1hDays, 0, 100_000),
  LOG_LEVEL: env.logLevel(),
});
export type ProcessorConfig = z.infer<typeof ProcessorEnv>;

const DAY_MS = 86_400_000;

/** How long each resolution is kept, ms (0: forever). */
export const retentionOf = (c: ProcessorConfig) => ({
  raw: c.RETENTION_RAW_DAYS * DAY_MS,
  '1m': c.RETENTION_1M_DAYS * DAY_MS,
  '1h': c.RETENTION_1H_DAYS * DAY_MS,
});

export const loadProcessorConfig = (source?: Record<string, string | undefined>) =>
  loadConfig('processor', ProcessorEnv, source);

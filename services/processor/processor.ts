/**
 * The processor: MQTT stream in (QoS1, persistent session), validated records into the journal,
 * acknowledged, then batched into the store; alarms out on their topic and into the store.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { getPosition } from 'suncalc';
import { mqttPasswordOf } from '../../shared/auth/serviceAccounts.ts';
import { openStore } from '../../shared/bootstrap/store.ts';
import type { Alarm } from '../../shared/contract/alarms.ts';
import { filters, sharedFilter, topics } from '../../shared/contract/topics.ts';
import type { Logger } from '../../shared/log.ts';
import type { Registry } from '../../shared/registry/index.ts';
import type { RunningService } from '../../shared/service.ts';
import { activeAlarms } from '../../shared/storage/activeAlarms.ts';
import type { Store, WriteKind } from '../../shared/storage/port.ts';
import { newestReadings } from '../../shared/storage/storedRows.ts';
import { type AlarmEngine, createAlarmEngine } from './alarms/alarmEngine.ts';
import { PROCESSOR_DEFAULTS, type ProcessorConfig, retentionOf } from './config.ts';
import { decodeJournaled, ingest } from './ingest.ts';
import { createProcessorMetrics, type ProcessorMetrics } from './metrics.ts';
import { setUpPartition } from './partition.ts';
import { RollupMaintainer } from './rollup/RollupMaintainer.ts';
import { StoreWriter } from './StoreWriter.ts';
import { Journal, type JournalEntry } from './spool/Journal.ts';
import { startStatusServer } from './statusServer.ts';

export interface ProcessorDeps {
  registry: Registry;
  log: Logger;
  /** The lab's secret, when the lab generated one in-process; else config.LAB_SECRET. */
  labSecret?: string;
  /** An open store to use (and not close); else one is opened from the config. */
  store?: Store;
  /** Receiver clock, epoch ms (tests). */
  now?: () => number;
}

export interface RunningProcessor extends RunningService {
  readonly metricsUrl: string;
  readonly store: Store;
  readonly alarms: AlarmEngine;
  readonly metrics: ProcessorMetrics;
  /** Rollups, last-state and retention (tests flush it). */
  readonly rollups: RollupMaintainer;
  /** Resolves true once everything accepted so far is stored; false after `timeoutMs`. */
  drained(timeoutMs?: number): Promise<boolean>;
  /** Spool depth and state, for health and tests. */
  status(): {
    mqttConnected: boolean;
    /** The broker granted every subscription. */
    subscribed: boolean;
    storeUp: boolean;
    spoolBytes: number;
    memoryReadings: number;
  };
}

/** Subscriptions: everything the processor consumes, never its own alarm or dead-letter output. */
export const PROCESSOR_FILTERS = [
  filters.allTelemetry,
  filters.allBatches,
  filters.allStatus,
  filters.allEvents,
  filters.allAcks,
  filters.allCommands,
] as const;

/** Dead letters published per second at most; the rest are only counted. */
const DEAD_LETTERS_PER_SECOND = 100;
/** Filters per SUBSCRIBE packet when a partition subscribes to its lamps' topics one by one. */
const SUBSCRIBE_CHUNK = 500;
const ALARM_TICK_MS = 5_000;
const STOP_DRAIN_MS = 10_000;
const NO_RECORDS: unknown[] = [];
/**
 * Messages with at least this many records are encoded on arrival. A one-reading message gains
 * nothing (no object copies to save) and its encoding sits on the ack path: per-lamp ingest ran
 * 29k readings/s with it left to the writer, 25k with it encoded on arrival.
 */
const ENCODE_MIN_RECORDS = 2;
/** Longest an ack waits for the writer while the memory cache is nearly full, ms. */
const PAUSE_MAX_MS = 50;
/** Fill of the memory cache (of PROCESSOR_MEMORY_READINGS) from which acks wait for the writer. */
const PAUSE_CACHE_FILL = 0.95;
/** No pause while a write has waited this long, ms (the store is stalled, not just behind). */
const PAUSE_STALL_MS = 1_000;

export async function startProcessor(
  config: ProcessorConfig,
  deps: ProcessorDeps,
): Promise<RunningProcessor> {
  const { log } = deps;
  // A partition (PROCESSOR_PARTITION) sees only its segments' lamps: it subscribes to their
  // topics and judges their alarms; the start fails if the partition plan leaves a gap.
  const partition = config.PROCESSOR_PARTITION
    ? setUpPartition(deps.registry, config.PROCESSOR_PARTITION, config.PROCESSOR_PARTITION_PLAN)
    : undefined;
  if (partition)
    log.info(
      {
        partition: config.PROCESSOR_PARTITION,
        segments: partition.segmentIds.length,
        lamps: partition.registry.lamps.length,
        planChecked: Boolean(config.PROCESSOR_PARTITION_PLAN),
      },
      'processing one partition of the lamps',
    );
  const registry = partition?.registry ?? deps.registry;
  const now = deps.now ?? Date.now;
  // A store that is down at start must not stop ingest: journal now, store when it is back
  // (the one start-up policy, shared/bootstrap/store.ts).
  const store =
    deps.store ??
    (await openStore('processor', config, {
      log,
      maxLinesPerWrite: config.PROCESSOR_BATCH_SIZE * 2,
      // InfluxDB keeps each resolution in a retention policy (bucket on 2.x) of this duration.
      retention: retentionOf(config),
    }));
  // A store with a text wire format (InfluxDB) encodes each entry once, on arrival: the queue
  // then holds one flat string per message instead of tagged object copies until the write.
  const encode = store.encode;
  const queued = (entry: JournalEntry): JournalEntry =>
    encode && entry.records.length >= ENCODE_MIN_RECORDS
      ? {
          kind: entry.kind,
          records: NO_RECORDS,
          encoded: encode(entry.kind as WriteKind, entry.records as object[]),
          raw: entry.raw,
        }
      : entry;
  const decodeRaw = decodeJournaled(registry);
  const journal = Journal.open({
    dir: config.SPOOL_DIR,
    segmentBytes: PROCESSOR_DEFAULTS.segmentBytes,
    memoryReadings: config.PROCESSOR_MEMORY_READINGS,
    fsyncIntervalMs: config.PROCESSOR_FSYNC_INTERVAL_MS,
    onCorrupt: (where, text) => log.error({ where, text }, 'skipped a corrupt journal line'),
    decodeRaw: (kind, text) => queued(decodeRaw(kind, text)),
  });
  const engine = createAlarmEngine(
    {
      reportIntervalMs: config.ALARM_REPORT_INTERVAL_MS,
      commsLostIntervals: config.ALARM_COMMS_LOST_INTERVALS,
      ackTimeoutMs: config.ALARM_ACK_TIMEOUT_MS,
      powerTolerance: config.ALARM_POWER_TOLERANCE,
      supplyLossFraction: config.ALARM_SUPPLY_LOSS_FRACTION,
      supplyLossMinLamps: config.ALARM_SUPPLY_LOSS_MIN_LAMPS,
      supplyLossVolts: config.ALARM_SUPPLY_LOSS_VOLTS,
      dayAltitudeDeg: config.ALARM_DAY_ALTITUDE_DEG,
    },
    {
      registry,
      sunAltitude: (ts, lat, lon) => (getPosition(new Date(ts), lat, lon).altitude * 180) / Math.PI,
    },
  );
  // Alarms raised before this start are taken back, or they would never clear (the gateway
  // shows what the store says is raised); lamps that reported before are expected to go on.
  try {
    const restored = await activeAlarms(store, now());
    engine.restore(restored);
    const known = await newestReadings(store);
    engine.expectReports(
      known.map((t) => t.lampId),
      now(),
    );
    if (restored.length > 0) log.info({ alarms: restored.length }, 'restored raised alarms');
  } catch (err) {
    log.warn(
      { err: (err as Error).message },
      'could not read alarms and lamps from the store; earlier alarms clear only if raised again',
    );
  }
  const rollups = await RollupMaintainer.open(
    store,
    { dir: config.SPOOL_DIR, retention: retentionOf(config) },
    log,
    now,
  );
  let client: MqttClient | undefined;
  const metrics = createProcessorMetrics({
    spoolBytes: () => journal.pendingBytes,
    memoryReadings: () => journal.memoryReadings,
    storeUp: () => writer.storeUp,
    activeAlarms: () => engine.active(),
  });
  const writer = new StoreWriter(
    journal,
    store,
    {
      batchSize: config.PROCESSOR_BATCH_SIZE,
      flushIntervalMs: config.PROCESSOR_FLUSH_INTERVAL_MS,
      retryMinMs: PROCESSOR_DEFAULTS.retryMinMs,
      retryMaxMs: config.PROCESSOR_RETRY_MAX_MS,
      spoolDir: config.SPOOL_DIR,
      maxInFlight: PROCESSOR_DEFAULTS.writesInFlight,
    },
    metrics,
    log,
    (entries) => rollups.stored(entries),
  );
  writer.start();
  rollups.start();

  const emitAlarms = (alarms: Alarm[]) => {
    if (alarms.length === 0) return;
    journal.append({ kind: 'alarm', records: alarms });
    writer.appended(alarms.length);
    for (const a of alarms) {
      metrics.alarms.inc({ type: a.type, state: a.state });
      client?.publish(topics.alarm(a.type), JSON.stringify(a), { qos: 1 });
    }
  };

  let deadLetterWindow = 0;
  let deadLettersInWindow = 0;
  const handle = (topic: string, payload: Buffer) => {
    const t = now();
    const result = ingest(registry, topic, payload, t);
    if (!result.ok) {
      metrics.rejected.inc({ code: result.code });
      const second = Math.floor(t / 1000);
      if (second !== deadLetterWindow) [deadLetterWindow, deadLettersInWindow] = [second, 0];
      if (++deadLettersInWindow <= DEAD_LETTERS_PER_SECOND) {
        client?.publish(topics.deadLetter(), JSON.stringify(result.deadLetter), { qos: 1 });
      }
      return;
    }
    const { message, entry } = result;
    metrics.messages.inc({ kind: message.kind });
    // Durable first (one write(2)), so the ack that follows cannot lose it.
    if (entry) {
      const n = entry.records.length;
      journal.append(entry.raw ? queued(entry) : entry);
      writer.appended(n);
      if (entry.kind === 'telemetry') metrics.readings.inc(n);
    }
    switch (message.kind) {
      case 'telemetry':
        emitAlarms(engine.onTelemetry(message.value, t));
        break;
      case 'batch':
        for (const r of message.value.readings) emitAlarms(engine.onTelemetry(r, t));
        break;
      case 'event':
        emitAlarms(engine.onEvent(message.value, t));
        break;
      case 'status':
        emitAlarms(engine.onStatus(message.value, t));
        break;
      case 'ack':
        emitAlarms(engine.onAck(message.value, t));
        break;
      case 'cmd':
        if ('lampId' in message.topic)
          emitAlarms(engine.onCommand(message.topic.lampId, message.value, t));
        break;
    }
  };

  const options: IClientOptions = {
    clientId: config.PROCESSOR_CLIENT_ID,
    username: config.PROCESSOR_MQTT_USERNAME,
    password: mqttPasswordOf(
      'processor',
      config.PROCESSOR_MQTT_PASSWORD,
      deps.labSecret ?? config.LAB_SECRET,
    ),
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 1_000,
    connectTimeout: 10_000,
    resubscribe: false,
  };
  client = mqtt.connect(config.MQTT_URL, options);
  // mqtt.js sends the PUBACK only when this calls back, and reads the next packet after that:
  // call back once the message is in the journal, never after the store write.
  //
  // Backpressure: while the store is up but behind, and the memory cache is nearly full, the ack
  // (and so the next packet) waits up to PAUSE_MAX_MS for the writer. Past the cache, entries are
  // read back from disk and decoded again, which costs more CPU than the pause; the message is
  // already journaled, so the pause changes when it is acknowledged, never whether it is kept.
  // During an outage (store down), or while a write has been waiting PAUSE_STALL_MS (a store
  // that hangs until the request times out), nothing waits: the spool takes it all.
  const cacheHigh = Math.floor(config.PROCESSOR_MEMORY_READINGS * PAUSE_CACHE_FILL);
  const behind = () =>
    writer.storeUp && journal.memoryReadings >= cacheHigh && writer.oldestWriteMs < PAUSE_STALL_MS;
  let dropping = false;
  client.handleMessage = (packet, callback) => {
    try {
      handle(packet.topic, packet.payload as Buffer);
    } catch (err) {
      log.error({ err }, 'cannot journal a message; not acknowledging it');
      callback(err as Error);
      // The broker sends an unacknowledged message again only on a new connection
      // [MQTT-4.4.0-1]: drop this one (once), and mqtt.js reconnects a second later.
      if (!dropping) {
        dropping = true;
        client?.stream?.destroy();
      }
      return;
    }
    if (!behind()) return callback();
    const until = performance.now() + PAUSE_MAX_MS;
    const check = () => {
      if (!behind() || performance.now() >= until) callback();
      else setTimeout(check, 1);
    };
    setTimeout(check, 1);
  };
  const wanted: readonly string[] = partition?.topics ?? PROCESSOR_FILTERS;
  // A partition's exact topics go in SUBSCRIBE packets of SUBSCRIBE_CHUNK filters each: 15,000
  // lamps' topics in one packet would pass any broker's packet size limit.
  const subscriptionChunks: Record<string, { qos: 1 }>[] = [];
  for (let i = 0; i < wanted.length; i += SUBSCRIBE_CHUNK)
    subscriptionChunks.push(
      Object.fromEntries(
        wanted
          .slice(i, i + SUBSCRIBE_CHUNK)
          .map((f) => [
            config.PROCESSOR_SHARE_GROUP ? sharedFilter(config.PROCESSOR_SHARE_GROUP, f) : f,
            { qos: 1 as const },
          ]),
      ),
    );
  // Subscribed once the broker granted every filter. A session the broker kept (sessionPresent)
  // holds the subscriptions, unless the SUBSCRIBE never completed (the link dropped first):
  // Mosquitto then keeps a session without them, and every later CONNACK says present.
  let subscribed = false;
  const subscribe = () => {
    let pending = subscriptionChunks.length;
    let failed = false;
    for (const chunk of subscriptionChunks)
      client?.subscribe(chunk, (err, granted) => {
        if (err) {
          if (!failed)
            log.error({ err: err.message }, 'subscribe failed; trying again on the next connect');
          failed = true;
          return;
        }
        // 0x80: refused, e.g. a `$share/` filter on a broker without shared subscriptions (aedes).
        const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
        if (refused.length > 0) {
          failed = true;
          log.error({ refused: refused.slice(0, 10) }, 'the broker refused subscriptions');
        }
        if (--pending === 0 && !failed) subscribed = true;
      });
  };
  client.on('connect', (connack) => {
    dropping = false;
    log.info({ sessionPresent: connack.sessionPresent }, 'connected to the broker');
    if (!connack.sessionPresent || !subscribed) subscribe();
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));
  // A start that fails after this point lets go of what it opened: the broker session, the
  // writer, the journal's file and timer, and a store it opened itself (a DuckDB file lock).
  const abandon = async () => {
    client?.end(true);
    await writer.stop().catch(() => undefined);
    await rollups.stop();
    journal.close();
    if (!deps.store) await store.close().catch(() => undefined);
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no connection to ${config.MQTT_URL}`)),
      15_000,
    );
    client?.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  }).catch(async (err) => {
    await abandon();
    throw err;
  });

  const ticker = setInterval(() => emitAlarms(engine.tick(now())), ALARM_TICK_MS);
  ticker.unref();

  const status = () => ({
    mqttConnected: client?.connected ?? false,
    subscribed,
    storeUp: writer.storeUp,
    spoolBytes: journal.pendingBytes,
    memoryReadings: journal.memoryReadings,
  });
  const http = await startStatusServer(
    config.PROCESSOR_METRICS_PORT,
    config.PROCESSOR_METRICS_HOST,
    metrics.registry,
    () => {
      const s = status();
      return {
        ok: s.mqttConnected && s.subscribed && s.storeUp,
        store: store.kind,
        ...s,
        activeAlarms: engine.active().length,
      };
    },
  ).catch(async (err) => {
    clearInterval(ticker);
    await abandon();
    throw err;
  });
  const metricsUrl = http.url;
  log.info(
    { store: store.kind, metricsUrl, spoolBytes: journal.pendingBytes },
    'processor started',
  );

  let stopping: Promise<void> | undefined;
  return {
    name: 'processor',
    endpoints: [
      { label: 'metrics', url: `${metricsUrl}/metrics` },
      { label: 'health', url: `${metricsUrl}/health` },
    ],
    metricsUrl,
    store,
    alarms: engine,
    metrics,
    rollups,
    drained: (timeoutMs = STOP_DRAIN_MS) => writer.drained(timeoutMs),
    status,
    stop() {
      stopping ??= (async () => {
        clearInterval(ticker);
        // Stop taking messages first; unacked ones stay with the broker for the next session.
        await new Promise<void>((resolve) => client?.end(false, {}, () => resolve()));
        const drained = await writer.drained(STOP_DRAIN_MS);
        if (!drained)
          log.warn(
            { spoolBytes: journal.pendingBytes },
            'store not drained; the spool keeps the rest',
          );
        await writer.stop();
        await rollups.stop();
        journal.close();
        await http.close();
        if (!deps.store) await store.close();
      })();
      return stopping;
    },
  };
}

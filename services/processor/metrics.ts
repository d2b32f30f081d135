import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The processor's Prometheus metrics, on a registry of its own (several may run in one lab). */
export function createProcessorMetrics(sources: {
  spoolBytes: () => number;
  memoryReadings: () => number;
  storeUp: () => boolean;
  activeAlarms: () => { type: string }[];
}) {
  const registry = new Registry();
  const registers = [registry];
  const metrics = {
    registry,
    messages: new Counter({
      name: 'gadelys_processor_messages_total',
      help: 'MQTT messages accepted, by kind',
      labelNames: ['kind'],
      registers,
    }),
    readings: new Counter({
      name: 'gadelys_processor_readings_total',
      help: 'Telemetry readings accepted (journaled)',
      registers,
    }),
    rejected: new Counter({
      name: 'gadelys_processor_rejected_total',
      help: 'Messages rejected and dead-lettered, by reason code',
      labelNames: ['code'],
      registers,
    }),
    stored: new Counter({
      name: 'gadelys_processor_stored_records_total',
      help: 'Records written to the store, by kind',
      labelNames: ['kind'],
      registers,
    }),
    setAside: new Counter({
      name: 'gadelys_processor_set_aside_records_total',
      help: 'Records the store refused for good, kept in the spool dir rejected.jsonl',
      registers,
    }),
    writeSeconds: new Histogram({
      name: 'gadelys_processor_store_write_seconds',
      help: 'Latency of one store write (a batch)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    batchRecords: new Histogram({
      name: 'gadelys_processor_store_batch_records',
      help: 'Records per store write',
      buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000, 25000],
      registers,
    }),
    storeErrors: new Counter({
      name: 'gadelys_processor_store_errors_total',
      help: 'Failed store writes, by whether they will be retried',
      labelNames: ['retryable'],
      registers,
    }),
    alarms: new Counter({
      name: 'gadelys_processor_alarm_transitions_total',
      help: 'Alarms raised and cleared, by type',
      labelNames: ['type', 'state'],
      registers,
    }),
  };
  new Gauge({
    name: 'gadelys_processor_spool_bytes',
    help: 'Journal bytes accepted but not yet stored (spool depth)',
    registers,
    collect() {
      this.set(sources.spoolBytes());
    },
  });
  new Gauge({
    name: 'gadelys_processor_memory_readings',
    help: 'Readings held in memory ahead of the store',
    registers,
    collect() {
      this.set(sources.memoryReadings());
    },
  });
  new Gauge({
    name: 'gadelys_processor_store_up',
    help: '1 while the last store write succeeded',
    registers,
    collect() {
      this.set(sources.storeUp() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'gadelys_processor_active_alarms',
    help: 'Alarms raised and not cleared, by type',
    labelNames: ['type'],
    registers,
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const a of sources.activeAlarms()) counts.set(a.type, (counts.get(a.type) ?? 0) + 1);
      for (const [type, n] of counts) this.set({ type }, n);
    },
  });
  return metrics;
}
export type ProcessorMetrics = ReturnType<typeof createProcessorMetrics>;

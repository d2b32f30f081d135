/**
 * The metric names the services really expose, read from their own registries (the code in
 * services/broker/metrics.ts and services/processor/metrics.ts, not a list kept beside it), and
 * the gadelys metric names a PromQL expression uses.
 */
import { createBrokerMetrics } from '../../services/broker/metrics.ts';
import { createProcessorMetrics } from '../../services/processor/metrics.ts';

/** Histograms are queried through these series. */
const HISTOGRAM_SERIES = ['_bucket', '_sum', '_count'];

export async function exposedMetricNames(): Promise<Set<string>> {
  const broker = createBrokerMetrics(() => ({
    connections: { tcp: 0, tls: 0, ws: 0 },
    clients: 0,
    lampsConnected: 0,
    controllersConnected: 0,
    servicesConnected: 0,
    lampsOnline: 0,
    openSocketBytes: { read: 0, written: 0 },
  }));
  const processor = createProcessorMetrics({
    spoolBytes: () => 0,
    memoryReadings: () => 0,
    storeUp: () => true,
    activeAlarms: () => [],
  });
  const names = new Set<string>();
  for (const registry of [broker.registry, processor.registry]) {
    for (const m of await registry.getMetricsAsJSON()) {
      names.add(m.name);
      // Typed as an enum, reported as the text of the exposition format.
      if (String(m.type) === 'histogram')
        for (const s of HISTOGRAM_SERIES) names.add(`${m.name}${s}`);
    }
  }
  return names;
}

/** The gadelys_* metric names in a PromQL expression. */
export function metricsIn(expr: string): string[] {
  return [...new Set(expr.match(/\bgadelys_[a-zA-Z0-9_]+/g) ?? [])];
}

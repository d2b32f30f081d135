/**
 * The gateway's Prometheus metrics, on a registry of its own (tests run several gateways in one
 * process). Counters are bumped where things happen; gauges read the live state when scraped.
 */
import { Counter, Gauge, Registry } from 'prom-client';

export interface GatewayMetricSources {
  wsClients(): number;
  /** Registry lamps by live status. */
  lampsByStatus(): Record<string, number>;
  activeAlarms(): number;
  /** What the MQTT link received and refused; undefined without MQTT. */
  mqtt(): { received: number; rejected: number; forged: number; published: number } | undefined;
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

export function createGatewayMetrics(sources: GatewayMetricSources) {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({
    name: 'gadelys_gateway_http_requests_total',
    help: 'REST answers, by operation and status',
    labelNames: ['operation', 'status'],
    registers,
  });
  const commands = new Counter({
    name: 'gadelys_gateway_commands_completed_total',
    help: 'Commands finished, by outcome (acked, partial, rejected, timedOut)',
    labelNames: ['status'],
    registers,
  });
  const logins = new Counter({
    name: 'gadelys_gateway_login_failures_total',
    help: 'Refused logins, by reason (password, rate_limited)',
    labelNames: ['reason'],
    registers,
  });
  const wsRefusals = new Counter({
    name: 'gadelys_gateway_websocket_refusals_total',
    help: 'WebSocket upgrades refused (reason: the HTTP status) and sockets closed for cause (frame_rate, token_revoked, frame_too_large, slow_reader)',
    labelNames: ['reason'],
    registers,
  });
  new Gauge({
    name: 'gadelys_gateway_websocket_clients',
    help: 'Open WebSocket clients',
    registers,
    collect() {
      this.set(sources.wsClients());
    },
  });
  new Gauge({
    name: 'gadelys_gateway_lamps',
    help: 'Registry lamps by live status (online, offline, unknown)',
    labelNames: ['status'],
    registers,
    collect() {
      for (const [status, n] of Object.entries(sources.lampsByStatus())) this.set({ status }, n);
    },
  });
  new Gauge({
    name: 'gadelys_gateway_active_alarms',
    help: 'Alarms raised and not cleared, as the gateway holds them',
    registers,
    collect() {
      this.set(sources.activeAlarms());
    },
  });
  new Gauge({
    name: 'gadelys_gateway_mqtt_messages',
    help: 'MQTT messages since start, by result (received, rejected, forged, published)',
    labelNames: ['result'],
    registers,
    collect() {
      const s = sources.mqtt();
      if (!s) return;
      for (const [result, n] of Object.entries(s)) this.set({ result }, n);
    },
  });
  return { registry, requests, commands, logins, wsRefusals };
}

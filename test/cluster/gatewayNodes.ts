// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/**
 * Gateways of one cluster for tests (GATEWAY_CLUSTER_REDIS_URL): each on port 0 with its own data
 * directory and node id, all on one broker and one redis-server. Reusable by the load and fault
 * runs: `api` calls one gateway, `stop` ends it and removes its directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGatewayConfig } from '../../services/gateway/config.ts';
import { type RunningGateway, startGateway } from '../../services/gateway/server.ts';
import { silentLogger } from '../../shared/log.ts';
import type { Store } from '../../shared/storage/port.ts';
import type { TestBroker } from '../helpers/broker.ts';

export interface ApiAnswer {
  status: number;
  json: any;
  text: string;
  headers: Headers;
}

export interface GatewayNode {
  nodeId: string;
  gateway: RunningGateway;
  base: string;
  wsUrl: string;
  dataDir: string;
  api(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; ip?: string },
  ): Promise<ApiAnswer>;
  stop(): Promise<void>;
}

export async function startGatewayNode(opts: {
  nodeId: string;
  broker: TestBroker;
  redisUrl: string;
  store?: Store;
  env?: Record<string, string>;
}): Promise<GatewayNode> {
  const dataDir = await mkdtemp(join(tmpdir(), `gadelys-${opts.nodeId}-`));
  const gateway = await startGateway(
    loadGatewayConfig({
      PORT: '0',
      MQTT_URL: opts.broker.url,
      GATEWAY_DATA_DIR: dataDir,
      GATEWAY_CLUSTER_REDIS_URL: opts.redisUrl,
      GATEWAY_NODE_ID: opts.nodeId,
      GATEWAY_COMMAND_TIMEOUT_MS: '400',
      GATEWAY_COMMAND_RETRIES: '1',
      GATEWAY_TRUST_PROXY: 'loopback',
      LOG_LEVEL: 'silent',
      ...opts.env,
    }),
    {
      registry: opts.broker.registry,
      log: silentLogger,
      labSecret: opts.broker.labSecret,
      announce: () => undefined,
      ...(opts.store ? { store: opts.store } : {}),
    },
  );
  const base = `http://127.0.0.1:${gateway.port}`;
  return {
    nodeId: opts.nodeId,
    gateway,
    base,
    wsUrl: `ws://127.0.0.1:${gateway.port}/ws`,
    dataDir,
    async api(method, path, o = {}) {
      const headers: Record<string, string> = {};
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      // The client address a load balancer would forward (GATEWAY_TRUST_PROXY=loopback).
      if (o.ip) headers['x-forwarded-for'] = o.ip;
      const body = o.body === undefined ? undefined : JSON.stringify(o.body);
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${base}${path}`, { method, headers, body });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, json, text, headers: res.headers };
    },
    async stop() {
      await gateway.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

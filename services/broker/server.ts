import { unwatchFile, watchFile } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import { serviceUsernames, usernameProblems } from '../../shared/auth/serviceAccounts.ts';
import { ConfigError } from '../../shared/config.ts';
import type { Logger } from '../../shared/log.ts';
import type { Registry } from '../../shared/registry/index.ts';
import type { RunningService } from '../../shared/service.ts';
import { createAddressLimits } from './addressLimits.ts';
import { createAuthenticator } from './authenticator.ts';
import { createAuthThrottle } from './authThrottle.ts';
import { BROKER_DEFAULTS, type BrokerConfig } from './config.ts';
import { type CredentialFile, emptyCredentials, readCredentials } from './credentials.ts';
import {
  drainDurableSessions,
  parseSessionIds,
  registerDurableSessions,
} from './durableSessions.ts';
import { createEmitter } from './emitter.ts';
import { installPolicy } from './hooks.ts';
import { closeServer, type Listeners, listen, openListeners } from './listeners.ts';
import { type BrokerStats, createBrokerMetrics, type Transport } from './metrics.ts';
import { guardPacketSize } from './packetGuard.ts';
import { createDirectory } from './policy.ts';
import { indexedMemoryPersistence } from './retainedIndex.ts';
import { createStatusServer } from './statusServer.ts';
import { createWorkGate } from './workGate.ts';
import { batchWrites } from './writeBatching.ts';

export interface BrokerDeps {
  registry: Registry;
  log: Logger;
  /** The lab's secret when the lab generated one in-process; else config.LAB_SECRET. */
  labSecret?: string;
  /** Clock for rate limiting; injectable for tests. */
  now?: () => number;
  /**
   * Cluster wiring (docs/broker.md): an mqemitter-redis `mq`, an aedes-persistence-redis
   * `persistence` and a stable `id`. Unset: in-memory, one node.
   */
  aedesOptions?: Pick<AedesOptions, 'mq' | 'persistence' | 'id'>;
}

export interface RunningBroker extends RunningService {
  /** Bound ports (they differ from the config when it said 0). `wsPort`/`tlsPort` are 0 when off. */
  readonly port: number;
  readonly wsPort: number;
  readonly tlsPort: number;
  readonly metricsPort: number;
  /** `mqtt://host:port` and `ws://host:wsPort/mqtt` (`wss://` with TLS), for clients. */
  readonly url: string;
  readonly wsUrl: string;
  readonly aedes: Aedes;
  stats(): BrokerStats;
  /** Prometheus text, as /metrics serves it. */
  metrics(): Promise<string>;
  /** This node's id when it runs in a cluster (BROKER_CLUSTER_REDIS_URL). */
  readonly nodeId?: string;
  /** Re-read BROKER_CREDENTIALS_PATH now (it is also watched); revoked devices are disconnected. */
  reloadCredentials(): void;
  /** Entries per structure keyed by what clients send (docs/broker.md: all are bounded). */
  tracked(): Record<string, number>;
}

const CREDENTIALS_POLL_MS = 2_000;

/** aedes' own map of the clients connected to this node by client id (untyped in its .d.ts). */
const connectedById = (aedes: Aedes) =>
  (aedes as unknown as { clients: Record<string, Client | undefined> }).clients;

const isLoopback = (host: string) =>
  host === 'localhost' || host === '::1' || /^(::ffff:)?127\./.test(host);

export async function startBroker(config: BrokerConfig, deps: BrokerDeps): Promise<RunningBroker> {
  const { log } = deps;
  const now = deps.now ?? Date.now;
  const labSecret = deps.labSecret ?? config.LAB_SECRET;
  if (Boolean(config.BROKER_TLS_CERT_PATH) !== Boolean(config.BROKER_TLS_KEY_PATH)) {
    throw new Error('TLS needs both BROKER_TLS_CERT_PATH and BROKER_TLS_KEY_PATH');
  }
  const usernames = serviceUsernames(config);
  const directory = createDirectory(deps.registry, usernames);
  const clashes = usernameProblems(usernames, directory.isDevice);
  if (clashes.length > 0) throw new ConfigError('broker', clashes);
  if (!isLoopback(config.BROKER_METRICS_HOST) && !config.BROKER_METRICS_TOKEN) {
    throw new ConfigError('broker', [
      `BROKER_METRICS_HOST=${config.BROKER_METRICS_HOST} is not loopback: set BROKER_METRICS_TOKEN so that /metrics and /health are not open to anyone`,
    ]);
  }

  let credentials: CredentialFile = emptyCredentials();
  const credentialsPath = config.BROKER_CREDENTIALS_PATH;
  const reloadCredentials = () => {
    if (!credentialsPath) return;
    try {
      credentials = readCredentials(credentialsPath);
      log.info(
        { path: credentialsPath, devices: Object.keys(credentials.devices).length },
        'credentials loaded',
      );
    } catch (err) {
      // Keep the last good file: a half-edited file must not lock every lamp out.
      log.error({ err }, 'credentials file rejected, keeping the previous one');
    }
  };
  if (credentialsPath) credentials = readCredentials(credentialsPath); // fail start on a bad file
  if (!labSecret && config.BROKER_ACCEPT_DERIVED && !credentialsPath) {
    log.warn(
      'no LAB_SECRET and no BROKER_CREDENTIALS_PATH: only explicit service passwords can connect',
    );
  }
  if (config.BROKER_ALLOW_ANONYMOUS) {
    const line = '!'.repeat(78);
    log.warn(
      'BROKER_ALLOW_ANONYMOUS=true: clients without credentials connect WITH FULL RIGHTS. Development only.',
    );
    process.stderr.write(
      `${line}\n!! BROKER_ALLOW_ANONYMOUS is on: anyone can publish and subscribe to anything.\n${line}\n`,
    );
  }

  // Loaded only when asked for: a single node runs no Redis code (docs/cluster.md).
  const cluster = config.BROKER_CLUSTER_REDIS_URL
    ? (await import('./cluster.ts')).wireCluster({
        redisUrl: config.BROKER_CLUSTER_REDIS_URL,
        nodeId: config.BROKER_CLUSTER_NODE_ID,
        heartbeatMs: config.BROKER_CLUSTER_HEARTBEAT_MS,
      })
    : undefined;
  const aedes = await Aedes.createBroker({
    heartbeatInterval: BROKER_DEFAULTS.heartbeatMs,
    // one node: memory, with retained messages indexed by topic (retainedIndex.ts), and an
    // emitter whose queue drains without overflowing the stack (emitter.ts)
    persistence: indexedMemoryPersistence(),
    mq: createEmitter({ concurrency: config.BROKER_CONCURRENCY }),
    ...cluster?.aedesOptions,
    ...deps.aedesOptions,
    concurrency: config.BROKER_CONCURRENCY,
    connectTimeout: config.BROKER_CONNECT_TIMEOUT_MS,
    drainTimeout: config.BROKER_DRAIN_TIMEOUT_MS,
  });
  /** aedes.close() ends the emitter; the cluster's persistence connection is ours to end. */
  const closeAedes = async () => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await cluster?.close();
  };

  const sockets = new Map<Socket, Transport>();
  /** The remote address of each accepted stream, for per-address login throttling. */
  const addresses = new WeakMap<object, string>();
  const throttle = createAuthThrottle({
    maxFailuresPerAccount: config.BROKER_AUTH_MAX_FAILURES,
    maxFailuresPerAddress: config.BROKER_AUTH_MAX_FAILURES_PER_ADDRESS,
    windowMs: config.BROKER_AUTH_FAILURE_WINDOW_MS,
    lockoutMs: config.BROKER_AUTH_LOCKOUT_MS,
    baseDelayMs: config.BROKER_AUTH_FAILURE_DELAY_MS,
    maxDelayMs: BROKER_DEFAULTS.authMaxDelayMs,
    maxEntries: BROKER_DEFAULTS.trackedEntries,
  });
  const addressLimits = createAddressLimits({
    maxPerAddress: config.BROKER_MAX_CONNECTIONS_PER_ADDRESS,
    ratePerSec: config.BROKER_CONNECT_RATE_PER_ADDRESS,
    burst: config.BROKER_CONNECT_BURST_PER_ADDRESS,
    exempt: new Set(
      config.BROKER_ADDRESS_LIMITS_EXEMPT.split(',')
        .map((a) => a.trim())
        .filter(Boolean),
    ),
    maxEntries: BROKER_DEFAULTS.trackedEntries,
  });
  const overCapacity = new WeakSet<object>();
  const open: Record<Transport, number> = { tcp: 0, tls: 0, ws: 0 };
  let policy: ReturnType<typeof installPolicy> | undefined;
  const metrics = createBrokerMetrics(() => {
    let lampsConnected = 0;
    let controllersConnected = 0;
    let servicesConnected = 0;
    for (const s of policy?.connected ?? []) {
      if (s.identity.kind === 'lamp') lampsConnected++;
      else if (s.identity.kind === 'controller') controllersConnected++;
      else servicesConnected++;
    }
    let lampsOnline = 0;
    for (const state of policy?.lampState.values() ?? []) if (state === 'online') lampsOnline++;
    let read = 0;
    let written = 0;
    for (const socket of sockets.keys()) {
      read += socket.bytesRead;
      written += socket.bytesWritten;
    }
    return {
      connections: { ...open },
      clients: aedes.connectedClients,
      lampsConnected,
      controllersConnected,
      servicesConnected,
      lampsOnline,
      openSocketBytes: { read, written },
    };
  });
  // Each node's /metrics says which node it is; Prometheus sums them (docs/cluster.md).
  if (cluster) metrics.registry.setDefaultLabels({ node: cluster.nodeId });
  policy = installPolicy(aedes, {
    authenticate: createAuthenticator({
      directory,
      allowAnonymous: config.BROKER_ALLOW_ANONYMOUS,
      acceptDerived: config.BROKER_ACCEPT_DERIVED,
      labSecret,
      servicePasswords: {
        processor: config.PROCESSOR_MQTT_PASSWORD,
        gateway: config.GATEWAY_MQTT_PASSWORD,
        simulator: config.SIMULATOR_MQTT_PASSWORD,
        admin: config.ADMIN_MQTT_PASSWORD,
      },
      credentials: () => credentials,
      slowHashGate: createWorkGate(
        config.BROKER_SLOW_HASH_CONCURRENCY,
        config.BROKER_SLOW_HASH_QUEUE,
      ),
    }),
    overCapacity: (client) => overCapacity.has(client.conn),
    throttle,
    addressOf: (client) => addresses.get(client.conn) ?? '(unknown)',
    directory,
    metrics,
    log,
    now,
    limits: {
      deviceRate: config.BROKER_DEVICE_PUBLISH_RATE,
      deviceBurst: config.BROKER_DEVICE_PUBLISH_BURST,
      serviceRate: config.BROKER_SERVICE_PUBLISH_RATE,
      serviceBurst: config.BROKER_SERVICE_PUBLISH_BURST,
      maxDelayMs: config.BROKER_RATE_LIMIT_MAX_DELAY_MS,
    },
  });

  let stopping = false;
  // Past the limit a client still gets a CONNACK 3 (server unavailable) so it backs off instead of
  // guessing; past the limit plus a margin the socket is cut at once (a connection flood).
  const hardLimit =
    config.BROKER_MAX_CONNECTIONS + Math.ceil(config.BROKER_MAX_CONNECTIONS / 10) + 10;
  /** Hand one connection to aedes, or turn it away when the broker is full or stopping. */
  const accept = (stream: Duplex, transport: Transport, socket: Socket, req?: IncomingMessage) => {
    const total = open.tcp + open.tls + open.ws;
    const address = socket.remoteAddress ?? '(unknown)';
    if (stopping || total >= hardLimit) {
      if (!stopping) policy?.refuse(address, 'max_connections', `${total} open`);
      stream.destroy();
      socket.destroy();
      return;
    }
    const admission = addressLimits.admit(address, now());
    if (!admission.ok) {
      // Cut at once: a connect flood from one address must not cost a CONNECT parse each.
      policy?.refuse(address, admission.reason, admission.detail);
      stream.destroy();
      socket.destroy();
      return;
    }
    if (total >= config.BROKER_MAX_CONNECTIONS) overCapacity.add(stream);
    addresses.set(stream, address);
    open[transport]++;
    sockets.set(socket, transport);
    socket.once('close', () => {
      addressLimits.release(address);
      open[transport]--;
      sockets.delete(socket);
      metrics.socketClosed(socket.bytesRead, socket.bytesWritten);
    });
    socket.setNoDelay(true);
    if (transport !== 'ws' && config.BROKER_BATCH_WRITES) batchWrites(socket);
    const client = aedes.handle(stream, req);
    try {
      guardPacketSize(client, config.BROKER_MAX_PACKET_BYTES);
    } catch (err) {
      // Fail closed: an unguarded client could make the broker buffer 256 MB.
      log.error({ err }, 'cannot enforce BROKER_MAX_PACKET_BYTES; refusing the connection');
      stream.destroy();
    }
  };

  const host = config.BROKER_HOST;
  let listeners: Listeners;
  try {
    // Before any lamp can publish: readings for an offline processor are queued from the start.
    await registerDurableSessions(aedes, parseSessionIds(config.BROKER_DURABLE_SESSIONS), log);
    listeners = await openListeners(config, accept);
  } catch (err) {
    await closeAedes();
    throw err;
  }
  const { port, tlsPort, wsPort, wsTls } = listeners;

  const status = createStatusServer({
    token: config.BROKER_METRICS_TOKEN,
    metrics: () => metrics.registry.metrics(),
    contentType: metrics.registry.contentType,
    health: () => {
      const s = metrics.stats();
      return {
        status: stopping ? 'stopping' : 'ok',
        connections: s.connections,
        clients: s.clients,
        lampsConnected: s.lampsConnected,
        lampsOnline: s.lampsOnline,
      };
    },
  });
  let metricsPort: number;
  try {
    metricsPort = await listen(status, config.BROKER_METRICS_PORT, config.BROKER_METRICS_HOST);
  } catch (err) {
    await listeners.close();
    await closeAedes();
    throw err;
  }

  // A revocation also ends the device's open connection here: in a cluster every node watches
  // the file, so the lamp is cut wherever it is and refused wherever it reconnects.
  const applyCredentials = () => {
    reloadCredentials();
    for (const [id, entry] of Object.entries(credentials.devices)) {
      if (!entry.revokedAt) continue;
      const client = connectedById(aedes)[id];
      if (!client) continue;
      log.warn({ deviceId: id }, 'credentials revoked: disconnecting the device');
      client.close();
    }
  };
  if (credentialsPath)
    watchFile(
      credentialsPath,
      { interval: CREDENTIALS_POLL_MS, persistent: false },
      applyCredentials,
    );

  const url = `mqtt://${host}:${port}`;
  const wsUrl = wsPort ? `${wsTls ? 'wss' : 'ws'}://${host}:${wsPort}/mqtt` : '';
  const metricsHost = config.BROKER_METRICS_HOST;
  const metricsBase = `http://${metricsHost.includes(':') ? `[${metricsHost}]` : metricsHost}:${metricsPort}`;
  log.info({ port, wsPort, tlsPort, metricsPort }, 'broker listening');

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      stopping = true;
      if (credentialsPath) unwatchFile(credentialsPath, applyCredentials);
      // Stop accepting, disconnect devices, let durable sessions acknowledge what was accepted
      // for them (bounded), then let aedes close every session (wills of lost clients still fire).
      const closing = listeners.close();
      await drainDurableSessions(aedes, directory.isDevice, config.BROKER_STOP_DRAIN_MS, log).catch(
        (err: unknown) => log.error({ err }, 'stop: draining durable sessions failed'),
      );
      await closeAedes();
      for (const socket of sockets.keys()) socket.destroy();
      await closing;
      await closeServer(status);
      log.info('broker stopped');
    })();
    return stopped;
  };

  return {
    name: 'broker',
    port,
    wsPort,
    tlsPort,
    metricsPort,
    url,
    wsUrl,
    aedes,
    endpoints: [
      { label: 'MQTT', url },
      ...(wsUrl ? [{ label: 'MQTT over WebSocket', url: wsUrl }] : []),
      ...(tlsPort ? [{ label: 'MQTT over TLS', url: `mqtts://${host}:${tlsPort}` }] : []),
      { label: 'metrics', url: `${metricsBase}/metrics` },
      { label: 'health', url: `${metricsBase}/health` },
    ],
    stats: metrics.stats,
    metrics: () => metrics.registry.metrics(),
    reloadCredentials: applyCredentials,
    ...(cluster ? { nodeId: cluster.nodeId } : {}),
    tracked: () => ({
      ...(policy?.tracked() ?? {}),
      addressLimits: addressLimits.size,
      sockets: sockets.size,
    }),
    stop,
  };
}

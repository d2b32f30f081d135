/**
 * Cluster wiring (docs/cluster.md): with BROKER_CLUSTER_REDIS_URL set, the broker is one node of N
 * sharing messages through mqemitter-redis (Redis pub/sub) and sessions, subscriptions, retained
 * messages, offline QoS1 queues and wills through aedes-persistence-redis. server.ts imports this
 * file only when the variable is set, so a single node loads no Redis code at all.
 */
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type { AedesOptions } from 'aedes';
import MQEmitterRedis from 'mqemitter-redis';
import { oneStorePerSubscribe } from './subscribeBatch.ts';

/** What a node needs to join the cluster, and to let go of its Redis connections. */
export interface ClusterWiring {
  readonly nodeId: string;
  readonly aedesOptions: Pick<AedesOptions, 'mq' | 'persistence' | 'id' | 'heartbeatInterval'>;
  /** After aedes closed (which closes the emitter): the persistence's connection. */
  close(): Promise<void>;
}

export interface ClusterSettings {
  redisUrl: string;
  /** Stable per node (wills are kept per node id); default `<hostname>-<pid>`. */
  nodeId?: string | undefined;
  /** How often a node says it is alive; a node silent for 3 beats is dead and its wills fire. */
  heartbeatMs: number;
}

// aedes-persistence-redis has no types; aedes 1.x takes its main export (the callback facade over
// the async class, as aedes' own in-memory default).
type RedisPersistence = NonNullable<AedesOptions['persistence']> & {
  destroy(cb?: () => void): Promise<void> | undefined;
};
const require = createRequire(import.meta.url);

export const defaultNodeId = () => `${hostname()}-${process.pid}`;

export function wireCluster(settings: ClusterSettings): ClusterWiring {
  const redisPersistence = require('aedes-persistence-redis') as (opts: object) => RedisPersistence;
  const nodeId = settings.nodeId ?? defaultNodeId();
  const mq = MQEmitterRedis({ connectionString: settings.redisUrl });
  // ioredis takes a URL as its first argument; the options object form wants host/port, so parse.
  const url = new URL(settings.redisUrl);
  // One store per SUBSCRIBE, not one per filter that only the last settles (subscribeBatch.ts).
  const persistence = oneStorePerSubscribe(
    redisPersistence({
      host: url.hostname,
      port: Number(url.port || 6379),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      db: Number(url.pathname.slice(1) || 0),
    }),
  );
  return {
    nodeId,
    aedesOptions: {
      id: nodeId,
      mq: mq as unknown as NonNullable<AedesOptions['mq']>,
      persistence,
      heartbeatInterval: settings.heartbeatMs,
    },
    close: async () => {
      await persistence.destroy();
    },
  };
}

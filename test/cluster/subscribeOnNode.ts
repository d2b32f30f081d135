/**
 * Repro for the kill-under-load run's blocker (docs/cluster.md, open questions): how long one
 * SUBSCRIBE round takes on a broker node of the Redis cluster (services/broker/main.ts as a child
 * process, as the load run starts it), for a persistent (`clean: false`) or a clean session.
 *   npx tsx test/cluster/subscribeOnNode.ts [filters=20] [clean=false]
 * Seen on 2 December 2026 (load average 11-13): clean -> 20 filters in 57 ms; persistent -> no
 * SUBACK within 60 s, for QoS 1 and QoS 0 filters alike; 1 filter -> 15 ms, 2 or 5 -> none.
 * Fixed by services/broker/subscribeBatch.ts (load average 9-10): persistent, 500 filters in
 * 281 ms; brokerCluster.test.ts guards it. Kept as a timing probe.
 */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { servicePassword } from '../../shared/auth/serviceAccounts.ts';
import { startRedis } from '../helpers/redis.ts';
import { startChildNode } from './nodes.ts';

const n = Number(process.argv[2] ?? 20);
const clean = process.argv[3] === 'true';
const labSecret = randomBytes(16).toString('hex');
const redis = await startRedis();
const node = await startChildNode(redis.url, 'n1', labSecret, { BROKER_SERVICE_PUBLISH_RATE: '0' });
try {
  const c = await mqtt.connectAsync(node.url, {
    clientId: `processor-repro-${process.pid}`,
    username: 'processor',
    password: servicePassword('processor', labSecret),
    protocolVersion: 4,
    clean,
    reconnectPeriod: 0,
  });
  const filters = Array.from(
    { length: n },
    (_, i) => `gadelys/v1/lamp/DOLL-${String(i + 1).padStart(4, '0')}/telemetry`,
  );
  const t = performance.now();
  const done = c.subscribeAsync(Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])));
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000).unref());
  const got = await Promise.race([done.then(() => 'suback' as const), timeout]);
  console.log(
    `clean=${clean}: ${n} filters: ${got === 'suback' ? `SUBACK in ${Math.round(performance.now() - t)} ms` : 'no SUBACK within 60 s'}`,
  );
  c.end(true);
} finally {
  await node.kill();
  await redis.stop();
}

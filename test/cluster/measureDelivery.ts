/**
 * A short measurement for docs/cluster.md, not a test: messages/s from a publisher to a
 * subscriber on one node, and across two nodes of a Redis cluster, in the same run.
 *
 *   npx tsx test/cluster/measureDelivery.ts [messages]
 *
 * Everything (redis-server apart) runs in this one process on this machine's 2 cores, so the
 * ratio is the cluster's cost per message, not a scale-out figure.
 */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { silentLogger } from '../../shared/log.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { startRedis } from '../helpers/redis.ts';
import { startNode } from './nodes.ts';

const COUNT = Number(process.argv[2] ?? 20_000);
const PAYLOAD = JSON.stringify({ lampId: 'DOLL-0001', seq: 1, ts: Date.now(), activePower: 42.5 });
const TOPIC = 'gadelys/v1/lamp/DOLL-0001/telemetry';

async function rate(pubNode: TestBroker, subNode: TestBroker, qos: 0 | 1): Promise<number> {
  const sub = await mqtt.connectAsync(subNode.url, {
    ...subNode.credentialsFor('admin'),
    protocolVersion: 4,
  });
  const pub = await mqtt.connectAsync(pubNode.url, {
    ...pubNode.credentialsFor('admin'),
    protocolVersion: 4,
  });
  await sub.subscribeAsync(TOPIC, { qos });
  // Wait until the subscription is known on the publishing node (Redis carries it over).
  let seen = 0;
  sub.on('message', () => seen++);
  while (seen === 0) {
    await pub.publishAsync(TOPIC, PAYLOAD, { qos });
    await new Promise((r) => setTimeout(r, 20));
  }
  const start = seen;
  const t0 = performance.now();
  for (let i = 0; i < COUNT; i++) pub.publish(TOPIC, PAYLOAD, { qos });
  while (seen - start < COUNT) await new Promise((r) => setTimeout(r, 5));
  const perSecond = COUNT / ((performance.now() - t0) / 1000);
  await Promise.all([sub.endAsync(), pub.endAsync()]);
  return perSecond;
}

const labSecret = randomBytes(16).toString('hex');
const redis = await startRedis();
const single = await startTestBroker({ labSecret, log: silentLogger });
const a = await startNode(redis.url, 'measure-a', { labSecret });
const b = await startNode(redis.url, 'measure-b', { labSecret });
try {
  for (const qos of [0, 1] as const) {
    const one = await rate(single, single, qos);
    const cross = await rate(a, b, qos);
    const same = await rate(a, a, qos);
    console.log(
      `QoS${qos}: one node ${one.toFixed(0)}/s, cluster same node ${same.toFixed(0)}/s, ` +
        `cluster across nodes ${cross.toFixed(0)}/s (${(one / cross).toFixed(2)}x the cost of one node)`,
    );
  }
} finally {
  await Promise.all([single.stop(), a.stop(), b.stop()]);
  await redis.stop();
}

/**
 * services/broker/subscribeBatch.ts against a fake of aedes-persistence-redis' settle-by-waiter
 * behaviour: one store per SUBSCRIBE, refused filters left out, a client's calls in order.
 */
import { describe, expect, it } from 'vitest';
import {
  oneStorePerSubscribe,
  refusedSubscriptions,
  type SubscriptionStore,
} from '../../services/broker/subscribeBatch.ts';

interface Sub {
  topic: string;
  qos: number;
}

/** Settles a store only when `settle(key)` is called; a second store with the same key (client id
 * and first filter, as aedes-persistence-redis keys its waiter) replaces the first, which never
 * settles. */
function fakePersistence() {
  const log: string[] = [];
  const waiters = new Map<string, () => void>();
  const store: SubscriptionStore = {
    addSubscriptions(client, subs) {
      const topics = (subs as Sub[]).map((s) => s.topic);
      log.push(`add ${client.id} ${topics.join(',')}`);
      return new Promise<void>((resolve) => waiters.set(`${client.id}-sub_${topics[0]}`, resolve));
    },
    removeSubscriptions(client, subs) {
      log.push(`rm ${client.id} ${subs.join(',')}`);
      return Promise.resolve();
    },
  };
  const settleAll = () => {
    for (const [key, resolve] of waiters) {
      waiters.delete(key);
      resolve();
    }
  };
  return { store, log, settleAll };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const client = { id: 'processor-1' };

describe('oneStorePerSubscribe', () => {
  it('stores a SUBSCRIBE once however many filters call, and settles every call', async () => {
    const fake = fakePersistence();
    const p = oneStorePerSubscribe(fake.store);
    const subs: Sub[] = Array.from({ length: 500 }, (_, i) => ({ topic: `t/${i}`, qos: 1 }));
    const settled: number[] = [];
    // aedes: one call per filter, each with the whole list, some in the promise form.
    for (let i = 0; i < subs.length; i++) {
      if (i % 2 === 0)
        void (p.addSubscriptions(client, subs) as Promise<unknown>).then(() => settled.push(i));
      else p.addSubscriptions(client, subs, (err) => settled.push(err ? -1 : i));
    }
    await flush();
    expect(fake.log).toHaveLength(1);
    fake.settleAll();
    await flush();
    expect(settled.sort((x, y) => x - y)).toEqual(subs.map((_, i) => i));
  });

  it('leaves refused filters out, and stores nothing when all are refused', async () => {
    const fake = fakePersistence();
    const p = oneStorePerSubscribe(fake.store);
    const subs: Sub[] = [
      { topic: 'mine', qos: 1 },
      { topic: 'theirs', qos: 1 },
    ];
    // The hook refuses the second one after the first one's call (aedes runs them in turn).
    const first = p.addSubscriptions(client, subs) as Promise<unknown>;
    refusedSubscriptions.add(subs[1] as Sub);
    await flush();
    fake.settleAll();
    await first;
    expect(fake.log).toEqual(['add processor-1 mine']);

    const refused: Sub[] = [{ topic: 'nope', qos: 1 }];
    refusedSubscriptions.add(refused[0] as Sub);
    await p.addSubscriptions(client, refused);
    expect(fake.log).toHaveLength(1);
  });

  it("runs a client's stores and removals in order, so two packets never share a waiter", async () => {
    const fake = fakePersistence();
    const p = oneStorePerSubscribe(fake.store);
    // Two SUBSCRIBE packets in flight with the same first filter, then an UNSUBSCRIBE.
    const one = p.addSubscriptions(client, [{ topic: 'a', qos: 1 }]) as Promise<unknown>;
    const two = p.addSubscriptions(client, [
      { topic: 'a', qos: 0 },
      { topic: 'b', qos: 1 },
    ]) as Promise<unknown>;
    const three = p.removeSubscriptions(client, ['a']) as Promise<unknown>;
    await flush();
    expect(fake.log).toEqual(['add processor-1 a']);
    fake.settleAll();
    await one;
    await flush();
    expect(fake.log).toEqual(['add processor-1 a', 'add processor-1 a,b']);
    fake.settleAll();
    await Promise.all([two, three]);
    expect(fake.log).toEqual(['add processor-1 a', 'add processor-1 a,b', 'rm processor-1 a']);
    // Another client is not held up by this one.
    const other = fakePersistence();
    const q = oneStorePerSubscribe(other.store);
    void q.addSubscriptions(client, [{ topic: 'x', qos: 1 }]);
    void q.addSubscriptions({ id: 'lamp-2' }, [{ topic: 'y', qos: 1 }]);
    await flush();
    expect(other.log).toEqual(['add processor-1 x', 'add lamp-2 y']);
  });
});

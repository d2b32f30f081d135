/**
 * One SUBSCRIBE, one store (docs/cluster.md). aedes 1.2 calls `persistence.addSubscriptions(client,
 * packet.subscriptions)` once per filter of a SUBSCRIBE, each time with the packet's whole filter
 * list, in parallel. aedes-persistence-redis answers a call only when its own `$SYS/sub/add`
 * broadcast comes back, and waits for it under a key made of the client id and the list's first
 * filter: the calls of one packet share that key, each overwrites the waiter before, and only the
 * last call ever settles. aedes waits for all of them before the SUBACK, so a persistent session's
 * SUBSCRIBE of 2+ filters never got one (and the list was written N times over, N² filters).
 *
 * This wrapper turns the N calls of one packet (the same array each time) into one store, and runs
 * a client's stores and removals one after the other so two packets in flight with the same first
 * filter cannot share a waiter either.
 *
 * The list aedes passes also holds the filters our authorizeSubscribe refused (SUBACK 0x80): stored,
 * they would be restored to the session and fill its offline queue with messages it may not read.
 * The hook marks each refused filter in `refusedSubscriptions`; the store leaves them out. It runs
 * a microtask after the first call, when aedes has authorized every filter of the packet (our hook
 * answers synchronously). That leak is not the cluster's alone: aedes' in-memory persistence on a
 * single node queued another lamp's commands for a lamp that had asked for them and been refused,
 * so installPolicy (hooks.ts) wraps whatever persistence aedes holds. No Redis code here.
 */

/** The subscription objects of a SUBSCRIBE that the authorizeSubscribe hook refused. */
export const refusedSubscriptions = new WeakSet<object>();

type Callback = (err?: Error | null, client?: unknown) => void;
interface ClientLike {
  readonly id: string;
}
/** The two calls of aedes' persistence interface this wrapper changes (callback or promise form). */
export interface SubscriptionStore {
  addSubscriptions(client: ClientLike, subs: object[], cb?: Callback): unknown;
  removeSubscriptions(client: ClientLike, subs: string[], cb?: Callback): unknown;
}

const wrapped = new WeakSet<object>();

/** Idempotent: cluster.ts wraps its Redis persistence, installPolicy whatever aedes holds. */
export function oneStorePerSubscribe<P extends SubscriptionStore>(persistence: P): P {
  if (wrapped.has(persistence)) return persistence;
  wrapped.add(persistence);
  const add = persistence.addSubscriptions.bind(persistence);
  const remove = persistence.removeSubscriptions.bind(persistence);
  // The packet's filter list -> its one store; garbage with the packet.
  const stores = new WeakMap<object, Promise<unknown>>();
  // Per client id, the tail of its queue of stores and removals; dropped when the queue is empty.
  const tails = new Map<string, Promise<unknown>>();

  const enqueue = (clientId: string, job: () => Promise<unknown>): Promise<unknown> => {
    const before = tails.get(clientId) ?? Promise.resolve();
    const run = before.then(job, job);
    const tail = run.catch(() => undefined);
    tails.set(clientId, tail);
    void tail.then(() => {
      if (tails.get(clientId) === tail) tails.delete(clientId);
    });
    return run;
  };
  const answer = (run: Promise<unknown>, client: ClientLike, cb: Callback | undefined) => {
    if (!cb) return run;
    run.then(
      () => cb(null, client),
      (err: Error) => cb(err),
    );
    return undefined;
  };

  persistence.addSubscriptions = (client, subs, cb) => {
    let run = stores.get(subs);
    if (!run) {
      run = enqueue(client.id, async () => {
        const allowed = subs.filter((sub) => !refusedSubscriptions.has(sub));
        // Redis refuses an HMSET of no fields; aedes answers SUBACK with the refusals alone.
        if (allowed.length > 0) await add(client, allowed);
      });
      stores.set(subs, run);
    }
    return answer(run, client, cb);
  };
  persistence.removeSubscriptions = (client, subs, cb) =>
    answer(
      enqueue(client.id, () => Promise.resolve(remove(client, subs))),
      client,
      cb,
    );
  return persistence;
}

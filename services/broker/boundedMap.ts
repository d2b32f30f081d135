/**
 * A Map kept in least-recently-touched order with a hard size cap, for state keyed by what
 * strangers send (addresses, usernames, client ids): a million distinct attackers must not make
 * a million entries. `touch` moves a key to the young end; `sweep` drops stale keys from the old
 * end, so pruning costs no more than the entries it removes.
 */
export interface BoundedMap<V> {
  get(key: string): V | undefined;
  /** Set and mark as most recent; evicts the oldest entries beyond the cap. */
  touch(key: string, value: V): void;
  delete(key: string): void;
  /** Drop entries from the oldest end while `stale` says so. */
  sweep(stale: (value: V) => boolean): void;
  readonly size: number;
}

export function createBoundedMap<V>(maxEntries: number): BoundedMap<V> {
  const map = new Map<string, V>();
  return {
    get: (key) => map.get(key),
    touch(key, value) {
      map.delete(key);
      map.set(key, value);
      while (map.size > maxEntries) {
        const oldest = map.keys().next().value;
        if (oldest === undefined) break;
        map.delete(oldest);
      }
    },
    delete: (key) => void map.delete(key),
    sweep(stale) {
      for (const [key, value] of map) {
        if (!stale(value)) return;
        map.delete(key);
      }
    },
    get size() {
      return map.size;
    },
  };
}

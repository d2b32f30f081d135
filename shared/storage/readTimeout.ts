/**
 * Reads that fail fast: a store that hangs (InfluxDB stopped by SIGSTOP, a saturated disk)
 * must not hang every request that reads it. Each read of the wrapped store races a timer; a
 * read that loses is a retryable StoreError naming the wait, which the gateway answers as 503.
 * Writes are not timed here: the processor's writer has its own retries and spool.
 */
import { type Store, StoreError } from './port.ts';

/** The Store methods that only read, each timed. */
export const TIMED_READS = [
  'latest',
  'lastState',
  'partials',
  'rollupState',
  'statusChanges',
  'history',
  'energy',
  'events',
  'acks',
  'alarms',
  'health',
] as const satisfies readonly (keyof Store)[];

export class StoreTimeoutError extends StoreError {
  constructor(
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(`the store did not answer ${method} within ${timeoutMs} ms`, true);
    this.name = 'StoreTimeoutError';
  }
}

function timed<T>(method: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeoutError(method, ms)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * The store with every read timed out after `ms`. A replay is a stream: each of its chunks
 * must arrive within `ms`.
 */
export function withReadTimeout(store: Store, ms: number): Store {
  const reads = new Set<string>(TIMED_READS);
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const name = String(prop);
      if (reads.has(name))
        return (...args: unknown[]) =>
          timed(name, (value as (...a: unknown[]) => Promise<unknown>).apply(target, args), ms);
      if (name === 'replay')
        return (...args: unknown[]) => {
          const source = (value as (...a: unknown[]) => AsyncIterable<unknown>).apply(target, args);
          return {
            [Symbol.asyncIterator]() {
              const it = source[Symbol.asyncIterator]();
              return {
                next: () => timed('replay', it.next(), ms),
                return: (v?: unknown) =>
                  it.return?.(v) ?? Promise.resolve({ done: true, value: v }),
              };
            },
          };
        };
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

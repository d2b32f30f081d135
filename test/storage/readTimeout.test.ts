/** The read timeout wrapper, on fake timers: reads race a timer, writes and other members pass. */
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import type { Store } from '../../shared/storage/port.ts';
import { StoreTimeoutError, withReadTimeout } from '../../shared/storage/readTimeout.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const never = () => new Promise<never>(() => undefined);
const fake = {
  kind: 'duckdb',
  history: never,
  energy: async () => [{ key: 'a', kWh: 1 }],
  writeTelemetry: never,
  replay: () => ({
    [Symbol.asyncIterator]: () => {
      let n = 0;
      return { next: () => (n++ === 0 ? Promise.resolve({ done: false, value: [] }) : never()) };
    },
  }),
} as unknown as Store;

test('a read that hangs fails with the method and the wait; one that answers passes', async () => {
  const s = withReadTimeout(fake, 1_000);
  const h = s.history({} as never);
  const caught = h.catch((e: unknown) => e);
  await vi.advanceTimersByTimeAsync(1_000);
  const err = await caught;
  expect(err).toBeInstanceOf(StoreTimeoutError);
  expect(err).toMatchObject({ method: 'history', retryable: true });
  await expect(s.energy({} as never)).resolves.toEqual([{ key: 'a', kWh: 1 }]);
  expect(s.kind).toBe('duckdb');
});

test('writes are not timed; a replay times out per chunk', async () => {
  const s = withReadTimeout(fake, 1_000);
  let settled = false;
  void s.writeTelemetry([]).finally(() => {
    settled = true;
  });
  await vi.advanceTimersByTimeAsync(5_000);
  expect(settled).toBe(false);
  const it = s.replay({} as never)[Symbol.asyncIterator]();
  await expect(it.next()).resolves.toMatchObject({ done: false });
  const second = it.next().catch((e: unknown) => e);
  await vi.advanceTimersByTimeAsync(1_000);
  expect(await second).toBeInstanceOf(StoreTimeoutError);
});

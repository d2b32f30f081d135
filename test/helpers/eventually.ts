/**
 * The one polling helper of the tests: wait for something another process or socket does.
 * Integration tests only; a unit test drives its clock instead of waiting for one.
 */

export interface EventuallyOptions {
  /** Give up after this long, ms. */
  timeoutMs?: number;
  /** Pause between two calls of `check`, ms. */
  intervalMs?: number;
  /** More to say when it gives up (a child process's output, say); called only then. */
  detail?: () => string;
}

const EVENTUALLY_DEFAULTS = { timeoutMs: 10_000, intervalMs: 25 } as const;

/**
 * Thrown by a `check` that knows waiting longer cannot help (the process it waits for has exited):
 * `eventually` rejects with it at once instead of at the timeout.
 */
export class GiveUp extends Error {
  override name = 'GiveUp';
}

/** What `check` returns while the thing has not happened yet. */
type NotYet = undefined | null | false;

/**
 * Call `check` until it returns something other than `undefined`, `null` or `false`, and resolve
 * with that value (so `check` can both wait and fetch). A `check` that throws, an assertion or a
 * refused connection, has not succeeded yet either (unless it throws GiveUp, which ends the wait
 * with that error). After `timeoutMs` it rejects with an error
 * naming `what` and the last error thrown or value returned, so a broken feature fails with its
 * reason instead of hanging until the test's own timeout.
 */
export async function eventually<T>(
  what: string,
  check: () => T | Promise<T>,
  options: EventuallyOptions = {},
): Promise<Exclude<T, NotYet>> {
  const { timeoutMs, intervalMs } = { ...EVENTUALLY_DEFAULTS, ...options };
  const deadline = performance.now() + timeoutMs;
  let last: { error: unknown } | { value: unknown } = { value: undefined };
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false)
        return value as Exclude<T, NotYet>;
      last = { value };
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      last = { error };
    }
    if (performance.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const lastly =
    'error' in last
      ? `last error: ${last.error instanceof Error ? last.error.message : String(last.error)}`
      : `last value: ${String(last.value)}`;
  const more = options.detail ? `\n${options.detail()}` : '';
  throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}; ${lastly}${more}`, {
    cause: 'error' in last ? last.error : undefined,
  });
}

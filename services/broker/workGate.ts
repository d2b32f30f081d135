/**
 * A cap on slow work that strangers can ask for. scrypt runs on libuv's thread pool (four
 * threads), which the one-process lab shares with gateway logins, file writes and the processor
 * journal's fsync; without a cap, 50 parallel wrong passwords keep every thread busy. At most
 * `concurrency` tasks run, at most `queueLimit` wait, and anything beyond is refused at once.
 */
export interface WorkGate {
  /** Run `task` when a slot is free; resolves `undefined` without running it when the queue is full. */
  run<T>(task: () => Promise<T>): Promise<T | undefined>;
  /** Tasks running and waiting, for tests and metrics. */
  readonly load: { running: number; waiting: number };
}

export function createWorkGate(concurrency: number, queueLimit: number): WorkGate {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    running--;
    const next = waiting.shift();
    if (next) {
      running++;
      next();
    }
  };
  return {
    async run(task) {
      if (running >= concurrency) {
        if (waiting.length >= queueLimit) return undefined;
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else running++;
      try {
        return await task();
      } finally {
        release();
      }
    },
    get load() {
      return { running, waiting: waiting.length };
    },
  };
}

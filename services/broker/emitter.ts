/**
 * aedes' message emitter (mqemitter 7) with its queue drained without deep recursion. When more
 * than `concurrency` messages are in flight mqemitter queues the rest; each delivery that
 * finishes starts the next queued one from inside its own callback, so a queue whose deliveries
 * finish synchronously (no subscriber, or one that answers at once) is drained as one ever
 * deeper call chain. A burst of a few thousand queued messages, as when a 100,000-lamp fleet's
 * segment controllers disconnect behind a slow subscriber, overflowed the stack and killed the
 * broker ("Maximum call stack size exceeded" in mqemitter's `released`; mqemitter#204 is the
 * same report, unmerged). Past MAX_DEPTH nested starts, the next one waits for setImmediate and
 * keeps its slot meanwhile, so messages published in between still queue behind it: order holds.
 */
import mqemitter from 'mqemitter';

/** Nested deliveries before the queue's next start is deferred; each costs ~10 stack frames. */
const MAX_DEPTH = 200;

type Emitter = ReturnType<typeof mqemitter>;
interface Internals {
  current: number;
  _do(message: mqemitter.Message, callback: (err?: unknown) => void): unknown;
}

export function createEmitter(opts: { concurrency: number }): Emitter {
  // [MQTT-4.7.1-3]: as aedes' own default emitter
  const mq = mqemitter({ concurrency: opts.concurrency, matchEmptyLevels: true });
  const inner = mq as unknown as Internals;
  const start = inner._do.bind(mq);
  let depth = 0;
  inner._do = (message, callback) => {
    if (depth >= MAX_DEPTH) {
      inner.current += 1; // hold the slot: a message emitted meanwhile queues behind this one
      setImmediate(() => {
        inner.current -= 1;
        inner._do(message, callback);
      });
      return mq;
    }
    depth += 1;
    try {
      return start(message, callback);
    } finally {
      depth -= 1;
    }
  };
  return mq;
}

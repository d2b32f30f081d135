/**
 * The broker's message emitter drains a long queue of synchronously finished deliveries
 * without overflowing the stack (mqemitter 7 alone threw "Maximum call stack size exceeded"
 * after about 1,200 of them), in order, and a message emitted while the queue drains waits
 * behind it.
 */
import mqemitter from 'mqemitter';
import { expect, test } from 'vitest';
import { createEmitter } from '../../services/broker/emitter.ts';

/** One delivery held open, `n` queued behind it (concurrency 1), then the held one released. */
function drain(mq: ReturnType<typeof mqemitter>, n: number) {
  const got: number[] = [];
  let held: (() => void) | undefined;
  mq.on('lamps/+', (m, cb) => {
    if (!held) {
      held = cb;
      return;
    }
    got.push(m.i as number);
    cb();
  });
  for (let i = 0; i <= n; i++) mq.emit({ topic: 'lamps/x', i });
  return { got, release: () => held!() };
}

test('50,000 queued messages drain in order where mqemitter alone overflows the stack', async () => {
  const plain = drain(mqemitter({ concurrency: 1 }), 50_000);
  expect(plain.release).toThrow(/call stack/);

  const mq = createEmitter({ concurrency: 1 });
  const { got, release } = drain(mq, 50_000);
  release();
  // published while the queue drains: after every queued message, not before
  mq.emit({ topic: 'lamps/x', i: -1 });
  await new Promise<void>((resolve) => {
    const look = () => (got.length === 50_001 ? resolve() : setImmediate(look));
    look();
  });
  expect(got.slice(0, 50_000)).toEqual(Array.from({ length: 50_000 }, (_, k) => k + 1));
  expect(got.at(-1)).toBe(-1);
});

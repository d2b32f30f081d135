import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventually, GiveUp } from './eventually.ts';

// Fake timers and a fake performance clock: the helper's waiting is driven, not waited for.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('eventually', () => {
  it('resolves with the first value that is not undefined, null or false', async () => {
    const answers: unknown[] = [undefined, null, false, 0];
    let calls = 0;
    const done = eventually('an answer', () => answers[calls++]);
    await vi.advanceTimersByTimeAsync(100);
    await expect(done).resolves.toBe(0);
    expect(calls).toBe(4);
  });

  it('takes a throwing check as not yet, and waits `intervalMs` between calls', async () => {
    let calls = 0;
    const done = eventually(
      'a connection',
      async () => {
        calls++;
        if (calls < 3) throw new Error('ECONNREFUSED');
        return 'up';
      },
      { intervalMs: 1_000 },
    );
    await vi.advanceTimersByTimeAsync(1_500);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(done).resolves.toBe('up');
  });

  it('rejects after the timeout naming what it waited for and the last error', async () => {
    const done = eventually(
      'the ack',
      () => {
        throw new Error('still pending');
      },
      { timeoutMs: 500, detail: () => 'broker log: nothing' },
    );
    const failed = expect(done).rejects.toThrow(
      'gave up after 500 ms waiting for the ack; last error: still pending\nbroker log: nothing',
    );
    await vi.advanceTimersByTimeAsync(600);
    await failed;
  });

  it('rejects with the last value when the check never threw', async () => {
    const done = eventually('five messages', () => false, { timeoutMs: 200 });
    const failed = expect(done).rejects.toThrow(
      'gave up after 200 ms waiting for five messages; last value: false',
    );
    await vi.advanceTimersByTimeAsync(300);
    await failed;
  });

  it('gives up at once when the check throws GiveUp', async () => {
    let calls = 0;
    const done = eventually('a banner', () => {
      calls++;
      if (calls === 2) throw new GiveUp('the process exited');
      return undefined;
    });
    const failed = expect(done).rejects.toThrow(GiveUp);
    await vi.advanceTimersByTimeAsync(100);
    await failed;
    expect(calls).toBe(2);
  });

  it('returns at once when the first call succeeds', async () => {
    let calls = 0;
    const done = eventually('the last call', () => ++calls, { timeoutMs: 0 });
    await expect(done).resolves.toBe(1);
  });
});

// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/** The gateway's pure cores, with injected clocks and fake sockets. */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { RateLimiter } from '../../services/gateway/auth/rateLimiter.ts';
import { can, PERMISSIONS, ROLES } from '../../services/gateway/auth/roles.ts';
import { UserStore, UserStoreError } from '../../services/gateway/auth/UserStore.ts';
import { CommandTracker } from '../../services/gateway/commands/CommandTracker.ts';
import { ClientSession } from '../../services/gateway/ws/ClientSession.ts';
import type { LampCommand } from '../../shared/contract/index.ts';

const cmd = (id = 'c1'): LampCommand => ({
  commandId: id,
  issuedAt: 1_800_000_000_000,
  type: 'override',
  level: 40,
  rampMs: 0,
});

describe('CommandTracker', () => {
  function setup(retries = 1) {
    let t = 0;
    const sent: string[][] = [];
    const changes: string[] = [];
    const tracker = new CommandTracker({
      timeoutMs: 100,
      retries,
      now: () => t,
      send: (_c, ids) => sent.push([...ids]),
      onChange: (s, done) => changes.push(`${s.status}${done ? '!' : ''}`),
    });
    return { tracker, sent, changes, advance: (ms: number) => (t += ms) };
  }
  const ack = (lampId: string, status: 'accepted' | 'rejected' = 'accepted') =>
    status === 'rejected'
      ? { commandId: 'c1', lampId, ts: 1, status, reason: 'no' }
      : { commandId: 'c1', lampId, ts: 1, status };

  test('acks complete a command; round trips are measured from the first send', () => {
    const { tracker, sent, advance, changes } = setup();
    tracker.begin(cmd(), { kind: 'route' }, ['a', 'b']);
    expect(sent).toEqual([['a', 'b']]);
    advance(7);
    tracker.onAck(ack('a'));
    advance(5);
    tracker.onAck(ack('b'));
    const s = tracker.get('c1')!;
    expect(s.status).toBe('acked');
    expect(s.rttMs).toEqual({ p50: 7, p95: 12, max: 12 });
    expect(changes).toEqual(['pending', 'acked!']);
  });

  test('pending lamps are resent once, then time out; a late ack still counts', () => {
    const { tracker, sent, advance, changes } = setup(1);
    tracker.begin(cmd(), { kind: 'route' }, ['a', 'b', 'c']);
    tracker.onAck(ack('a'));
    tracker.onAck(ack('b', 'rejected'));
    advance(99);
    tracker.tick();
    expect(sent).toHaveLength(1);
    advance(1);
    tracker.tick();
    expect(sent[1]).toEqual(['c']);
    advance(100);
    tracker.tick();
    const s = tracker.get('c1')!;
    expect(s).toMatchObject({
      status: 'partial',
      counts: { pending: 0, acked: 1, rejected: 1, timedOut: 1 },
    });
    expect(tracker.lamps('c1')!.find((l) => l.lampId === 'c')).toMatchObject({
      state: 'timedOut',
      attempts: 2,
    });
    tracker.onAck(ack('c'));
    expect(tracker.get('c1')!.counts).toMatchObject({ acked: 2, timedOut: 0 });
    expect(tracker.openCount).toBe(0);
    // Completed once (audited once); the late ack is a change, not a second completion.
    expect(changes.filter((c) => c.endsWith('!'))).toEqual(['partial!']);
    expect(changes.at(-1)).toBe('partial');
  });

  test('unknown acks are ignored', () => {
    const { tracker } = setup();
    expect(tracker.onAck({ commandId: 'nope', lampId: 'a', ts: 1, status: 'accepted' })).toBe(
      false,
    );
  });

  test('10,000 lamps: one send call, one deadline', () => {
    const { tracker, sent, advance } = setup(0);
    const ids = Array.from({ length: 10_000 }, (_, i) => `L${i}`);
    tracker.begin(cmd(), { kind: 'route' }, ids);
    expect(sent).toHaveLength(1);
    for (const id of ids.slice(0, 9_990)) tracker.onAck(ack(id));
    advance(100);
    tracker.tick();
    expect(tracker.get('c1')!.counts).toEqual({
      pending: 0,
      acked: 9_990,
      rejected: 0,
      timedOut: 10,
    });
  });
});

describe('ClientSession', () => {
  function setup(minIntervalMs: number, maxBufferedBytes = 1000, minFrameGapMs?: number) {
    let t = 0;
    let buffered = 0;
    const frames: string[][] = [];
    const session = new ClientSession<string>(
      {
        send: (batch) => frames.push(batch.map((l) => JSON.parse(l).v)),
        bufferedAmount: () => buffered,
      },
      { minIntervalMs, maxBufferedBytes, now: () => t, minFrameGapMs },
    );
    return {
      session,
      frames,
      advance: (ms: number) => (t += ms),
      setBuffered: (b: number) => (buffered = b),
    };
  }
  const lamp = (v: string) => JSON.stringify({ v });

  test('at most one update per lamp per interval; the newest waiting value wins', () => {
    const { session, frames, advance } = setup(100);
    session.offer('a', lamp('a1'));
    session.offer('a', lamp('a2'));
    session.offer('a', lamp('a3'));
    // another lamp is not held back by a's wait
    session.offer('b', lamp('b1'));
    expect(frames).toEqual([['a1'], ['b1']]);
    session.flush();
    expect(frames.flat()).toEqual(['a1', 'b1']);
    advance(99);
    session.flush();
    expect(frames.flat()).toEqual(['a1', 'b1']);
    advance(1);
    session.flush();
    expect(frames.flat()).toEqual(['a1', 'b1', 'a3']);
    expect(session.stats.coalesced).toBe(1);
  });

  test('with a frame gap, a burst of readings leaves as one frame per flush', () => {
    const { session, frames, advance } = setup(100, 1000, 50);
    // a quiet lamp goes out at once
    session.offer('a', lamp('a1'));
    expect(frames).toEqual([['a1']]);
    // a segment's batch right after: held for the next flush, not a frame per lamp
    for (const id of ['b', 'c', 'd']) session.offer(id, lamp(`${id}1`));
    expect(frames).toEqual([['a1']]);
    advance(50);
    session.flush();
    expect(frames).toEqual([['a1'], ['b1', 'c1', 'd1']]);
    // the gap counts from the last frame written, whether by offer or by flush
    session.offer('e', lamp('e1'));
    expect(frames).toHaveLength(2);
    advance(50);
    session.offer('f', lamp('f1'));
    expect(frames).toEqual([['a1'], ['b1', 'c1', 'd1'], ['e1', 'f1']]);
  });

  test('a slow socket gets nothing until it drains, then the latest value per lamp', () => {
    const { session, frames, setBuffered } = setup(0);
    session.offer('a', lamp('a1'));
    setBuffered(5000);
    for (let i = 2; i <= 1000; i++) {
      session.offer('a', lamp(`a${i}`));
      session.offer('b', lamp(`b${i}`));
    }
    session.flush();
    expect(frames).toEqual([['a1']]);
    expect(session.pendingCount).toBe(2);
    setBuffered(0);
    session.flush();
    expect(frames).toEqual([['a1'], ['a1000', 'b1000']]);
  });
});

describe('RateLimiter', () => {
  test('a burst up to capacity, then refills with time, per key', () => {
    let t = 0;
    const rl = new RateLimiter(3, 60, () => t);
    expect([rl.take('x'), rl.take('x'), rl.take('x'), rl.take('x')]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(rl.take('y')).toBe(true);
    expect(rl.retryAfterS('x')).toBe(1);
    t += 1000;
    expect(rl.take('x')).toBe(true);
    expect(rl.take('x')).toBe(false);
  });
});

describe('roles', () => {
  test('denied by default; vendors read and define their trials; only admins manage users', () => {
    expect(PERMISSIONS.filter((p) => can('vendor', p))).toEqual(['read', 'trials.write']);
    expect(ROLES.filter((r) => can(r, 'reports.schedule'))).toEqual(['operator', 'admin']);
    expect(ROLES.filter((r) => can(r, 'users.manage'))).toEqual(['admin']);
    expect(ROLES.filter((r) => can(r, 'commands.send'))).toEqual(['operator', 'admin']);
    expect(can('viewer', 'nonsense' as never)).toBe(false);
  });
});

describe('UserStore', () => {
  test('two requests creating one user name at once: one gets it, the other is told it exists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gadelys-users-'));
    try {
      const store = await UserStore.open(dir, { sessionTtlMs: 1000 });
      const results = await Promise.allSettled([
        store.createUser({ username: 'bob', password: 'twelve chars!!', role: 'viewer' }),
        store.createUser({ username: 'bob', password: 'twelve chars!!', role: 'operator' }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({
        reason: { code: 'exists' },
      });
      expect(store.users().filter((u) => u.username === 'bob')).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a failed save does not stop later ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gadelys-users-'));
    try {
      const store = await UserStore.open(dir, { sessionTtlMs: 1000 });
      await store.bootstrap(store.pendingBootstrapSecret!, 'root', 'twelve chars!!');
      await store.flush();
      // users.json replaced by a directory: the atomic rename fails, as on a broken disk.
      await rm(join(dir, 'users.json'));
      await mkdir(join(dir, 'users.json'));
      await expect(store.createApiToken('root', 'first')).rejects.toThrow();
      await rm(join(dir, 'users.json'), { recursive: true });
      await store.createApiToken('root', 'second');
      await store.flush();
      const file = await readFile(join(dir, 'users.json'), 'utf8');
      expect(file).toContain('"name": "second"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  test('the bootstrap secret works once; passwords are hashed; tokens revoke; state persists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gadelys-users-'));
    try {
      const store = await UserStore.open(dir, { sessionTtlMs: 1000 });
      const secret = store.pendingBootstrapSecret!;
      await expect(store.bootstrap('wrong', 'root', 'twelve chars!!')).rejects.toBeInstanceOf(
        UserStoreError,
      );
      await store.bootstrap(secret, 'root', 'twelve chars!!');
      await expect(store.bootstrap(secret, 'root2', 'twelve chars!!')).rejects.toMatchObject({
        code: 'bootstrapped',
      });
      const session = await store.login('root', 'twelve chars!!');
      expect(await store.login('root', 'wrong')).toBeUndefined();
      expect(store.authenticate(session!.token)).toMatchObject({ username: 'root', role: 'admin' });
      const { token, record } = await store.createApiToken('root', 'ci');
      await store.flush();
      const file = await readFile(join(dir, 'users.json'), 'utf8');
      expect(file).not.toContain('twelve chars');
      expect(file).not.toContain(token);
      const reopened = await UserStore.open(dir, { sessionTtlMs: 1000 });
      expect(reopened.pendingBootstrapSecret).toBeUndefined();
      expect(reopened.authenticate(token)?.username).toBe('root');
      await reopened.revokeToken(record.id);
      expect(reopened.authenticate(token)).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

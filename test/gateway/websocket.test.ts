// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registryHash, SNAPSHOT_BYTES_PER_LAMP } from '../../shared/live/binaryFrames.ts';
import { eventually } from '../helpers/eventually.ts';
import { type Harness, reading, startHarness, startLamp, VENDOR_A } from './harness.ts';
import { connectWs } from './wsClient.ts';

let h: Harness;
let ownLamp: string;
let otherLamp: string;
beforeAll(async () => {
  h = await startHarness({ env: { GATEWAY_WS_MIN_INTERVAL_MS: '200' } });
  const reg = h.broker.registry;
  ownLamp = reg.lampsOfVendor(VENDOR_A)[0]!.id;
  otherLamp = reg.lamps.find((l) => reg.vendorOf(l.id)?.id !== VENDOR_A)!.id;
});
afterAll(async () => {
  await h?.stop();
});

describe('authentication at connect', () => {
  test('no token, a wrong token and a revoked token are refused with 401', async () => {
    await expect(connectWs(h.wsUrl)).rejects.toMatchObject({ status: 401 });
    await expect(connectWs(h.wsUrl, 'gdk_not-a-real-token-at-all')).rejects.toMatchObject({
      status: 401,
    });
    const t = await h.api('POST', '/api/tokens', {
      token: h.tokens.viewer,
      body: { name: 'short-lived' },
    });
    const s = await connectWs(h.wsUrl, t.json.token);
    await s.next((f) => f.type === 'hello');
    await h.api('DELETE', `/api/tokens/${t.json.record.id}`, { token: h.tokens.viewer });
    await expect(connectWs(h.wsUrl, t.json.token)).rejects.toMatchObject({ status: 401 });
    // an open socket stops working too
    s.send({ type: 'ping' });
    await s.next((f) => f.type === 'error' && f.status === 401, 'revocation error');
    await s.close();
  });

  test('an open socket that only listens is closed once its token is revoked', async () => {
    const t = await h.api('POST', '/api/tokens', {
      token: h.tokens.viewer,
      body: { name: 'listener' },
    });
    const s = await connectWs(h.wsUrl, t.json.token);
    s.send({ type: 'subscribe', all: true, alarms: true });
    await s.next((f) => f.type === 'snapshot');
    const closed = new Promise<number>((resolve) => s.ws.once('close', (code) => resolve(code)));
    await h.api('DELETE', `/api/tokens/${t.json.record.id}`, { token: h.tokens.viewer });
    // No frame from the client: the gateway's own sweep (every 5 s) finds the revoked token.
    const code = await Promise.race([
      closed,
      new Promise<number>((r) => setTimeout(() => r(-1), 8_000)),
    ]);
    expect(code).toBe(4401);
    expect(s.frames.at(-1)).toMatchObject({ type: 'error', status: 401 });
  });

  test('the token can ride in the subprotocol (browsers cannot set headers)', async () => {
    const s = await connectWs(h.wsUrl, h.tokens.viewer, 'protocol');
    expect(s.ws.protocol).toBe('gadelys');
    expect(await s.next((f) => f.type === 'hello')).toMatchObject({
      username: 'viewer',
      role: 'viewer',
    });
    await s.close();
  });
});

test('snapshot on subscribe, then deltas from MQTT', async () => {
  const s = await connectWs(h.wsUrl, h.tokens.viewer);
  s.send({ type: 'subscribe', all: true, alarms: true });
  const snap = await s.next((f) => f.type === 'snapshot');
  expect(snap.lamps).toHaveLength(h.broker.registry.lamps.length);
  expect(snap.alarms).toEqual([]);
  const lamp = await startLamp(h, ownLamp);
  await lamp.publishTelemetry({ actualLevel: 42, activePower: 17.5 });
  const delta = await s.next(
    (f) => f.type === 'delta' && f.lamps.some((l: any) => l.lampId === ownLamp),
  );
  expect(delta.lamps.find((l: any) => l.lampId === ownLamp)).toMatchObject({
    status: 'online',
    telemetry: { actualLevel: 42, activePower: 17.5 },
  });
  await lamp.stop();
  await s.close();
});

test('vendor isolation over the WebSocket', async () => {
  const s = await connectWs(h.wsUrl, h.tokens.vendor);
  expect(await s.next((f) => f.type === 'hello')).toMatchObject({
    role: 'vendor',
    vendorId: VENDOR_A,
  });
  s.send({ type: 'subscribe', all: true });
  const snap = await s.next((f) => f.type === 'snapshot');
  expect(snap.lamps.length).toBe(h.broker.registry.lampsOfVendor(VENDOR_A).length);
  const ofVendor = (l: any) => h.broker.registry.vendorOf(l.lampId)?.id === VENDOR_A;
  expect(snap.lamps.every(ofVendor)).toBe(true);
  // another vendor's reading is not delivered; our own, sent after it, is
  const other = await startLamp(h, otherLamp);
  const own = await startLamp(h, ownLamp);
  await other.publishTelemetry({ actualLevel: 77 });
  await own.publishTelemetry({ actualLevel: 33 });
  const first = await s.next((f) => f.type === 'delta');
  expect(first.lamps.map((l: any) => l.lampId)).toEqual([ownLamp]);
  // explicit subscriptions to someone else's lamps are refused; segments are narrowed
  s.send({ type: 'subscribe', lamps: [otherLamp] });
  expect(await s.next((f) => f.type === 'error')).toMatchObject({ status: 403 });
  const segment = h.broker.registry.lamp(otherLamp)!.segmentId;
  s.send({ type: 'subscribe', segments: [segment] });
  const segSnap = await s.next((f) => f.type === 'snapshot');
  expect(segSnap.lamps.every(ofVendor)).toBe(true);
  s.send({ type: 'subscribe', all: true, commands: true });
  expect(await s.next((f) => f.type === 'error')).toMatchObject({ status: 403 });
  // and no commands over the socket either
  s.send({
    type: 'command',
    ref: 'v1',
    request: { target: { kind: 'lamp', lampId: ownLamp }, action: { type: 'release' } },
  });
  expect(await s.next((f) => f.type === 'error' && f.ref === 'v1')).toMatchObject({ status: 403 });
  await other.stop();
  await own.stop();
  await s.close();
});

describe('binary live frames (format: binary, what the web app asks for)', () => {
  test("a viewer: a snapshot of every lamp in the registry columns' order, then binary deltas", async () => {
    const cols = await h.api('GET', '/api/lamps/columns', { token: h.tokens.viewer });
    const s = await connectWs(h.wsUrl, h.tokens.viewer);
    s.binaryIds = cols.json.ids;
    s.send({ type: 'subscribe', all: true, alarms: true, format: 'binary' });
    const snap = await s.next((f) => f.type === 'snapshot');
    expect(snap.binary).toBeDefined();
    expect(snap.head).toMatchObject({
      registry: registryHash(cols.json.ids),
      positions: cols.json.ids.length,
      alarms: [],
    });
    expect(snap.head.lampIds).toBeUndefined(); // no ids on the wire
    expect(snap.bytes / cols.json.ids.length).toBeLessThan(SNAPSHOT_BYTES_PER_LAMP + 4);
    const lamp = await startLamp(h, ownLamp);
    await lamp.publishTelemetry({ actualLevel: 42, activePower: 17.5 });
    const delta = await s.next(
      (f) => f.type === 'delta' && f.lamps.some((l: any) => l.lampId === ownLamp),
      'binary delta',
    );
    expect(delta.binary).toBeDefined();
    expect(delta.lamps.find((l: any) => l.lampId === ownLamp)).toMatchObject({
      status: 'online',
      telemetry: { actualLevel: 42, activePower: 17.5 },
    });
    // asking for JSON again on the same socket gets JSON frames
    s.send({ type: 'subscribe', lamps: [ownLamp] });
    const json = await s.next((f) => f.type === 'snapshot');
    expect(json.binary).toBeUndefined();
    expect(json.lampIds).toEqual([ownLamp]);
    await lamp.stop();
    await s.close();
  });

  test("a vendor: positions are its own columns, and another vendor's reading never comes", async () => {
    const cols = await h.api('GET', '/api/lamps/columns', { token: h.tokens.vendor });
    expect(cols.json.ids.length).toBe(h.broker.registry.lampsOfVendor(VENDOR_A).length);
    const s = await connectWs(h.wsUrl, h.tokens.vendor);
    s.binaryIds = cols.json.ids;
    s.send({ type: 'subscribe', all: true, format: 'binary' });
    const snap = await s.next((f) => f.type === 'snapshot');
    expect(snap.head).toMatchObject({
      registry: registryHash(cols.json.ids),
      positions: cols.json.ids.length,
    });
    const other = await startLamp(h, otherLamp);
    const own = await startLamp(h, ownLamp);
    await other.publishTelemetry({ actualLevel: 77 });
    await own.publishTelemetry({ actualLevel: 33 });
    const first = await s.next((f) => f.type === 'delta', 'binary delta');
    expect(first.lamps.map((l: any) => l.lampId)).toEqual([ownLamp]);
    // a subscription to some lamps names them in the head
    s.send({ type: 'subscribe', lamps: [ownLamp], format: 'binary' });
    const some = await s.next((f) => f.type === 'snapshot');
    expect(some.head.lampIds).toEqual([ownLamp]);
    expect(some.lamps[0]).toMatchObject({ lampId: ownLamp, telemetry: { actualLevel: 33 } });
    await other.stop();
    await own.stop();
    await s.close();
  });
});

test('per-client cap per lamp: a burst arrives coalesced, ending on the latest value', async () => {
  const s = await connectWs(h.wsUrl, h.tokens.viewer);
  s.send({ type: 'subscribe', lamps: [ownLamp] });
  await s.next((f) => f.type === 'snapshot');
  const t0 = Date.now();
  for (let i = 1; i <= 20; i++)
    h.gateway.context.live.telemetry(reading(ownLamp, { actualLevel: i, ts: t0 + i }));
  await s.next(
    (f) => f.type === 'delta' && f.lamps.some((l: any) => l.telemetry.actualLevel === 20),
    'latest value',
  );
  const deltas = s.frames.filter((f) => f.type === 'delta');
  expect(deltas.length).toBeLessThanOrEqual(3);
  await s.close();
});

test('commands over the socket apply the same checks and report updates', async () => {
  const lamp = await startLamp(h, ownLamp);
  const op = await connectWs(h.wsUrl, h.tokens.operator);
  op.send({ type: 'subscribe', lamps: [ownLamp], commands: true });
  await op.next((f) => f.type === 'snapshot');
  op.send({
    type: 'command',
    ref: 'a',
    request: { target: { kind: 'lamp', lampId: ownLamp }, action: { type: 'override', level: 60 } },
  });
  const accepted = await op.next((f) => f.type === 'commandAccepted' && f.ref === 'a');
  // the ack update may overtake the acceptance frame: look at every frame received
  await eventually('ack update', () =>
    op.frames.some(
      (f) =>
        f.type === 'command' &&
        f.command.commandId === accepted.command.commandId &&
        f.command.status === 'acked',
    ),
  );
  op.send({
    type: 'command',
    ref: 'b',
    request: { target: { kind: 'lamp', lampId: ownLamp }, action: { type: 'override', level: -5 } },
  });
  const bad = await op.next(
    (f) => f.type === 'error' && f.ref === 'b',
    `error b in ${JSON.stringify(op.frames.slice(-3))}`,
  );
  expect(bad.status).toBe(400);
  expect(bad.issues[0].path).toBe('action.level');
  const viewer = await connectWs(h.wsUrl, h.tokens.viewer);
  viewer.send({
    type: 'command',
    ref: 'c',
    request: { target: { kind: 'route' }, action: { type: 'release' } },
  });
  expect(await viewer.next((f) => f.type === 'error' && f.ref === 'c')).toMatchObject({
    status: 403,
  });
  viewer.send({ type: 'subscribe', all: 'yes' });
  expect(await viewer.next((f) => f.type === 'error')).toMatchObject({ status: 400 });
  viewer.ws.send('not json');
  expect(await viewer.next((f) => f.type === 'error')).toMatchObject({ status: 400 });
  await Promise.all([op.close(), viewer.close(), lamp.stop()]);
});

describe('slow client', () => {
  let fast: Harness;
  beforeAll(async () => {
    fast = await startHarness({
      env: {
        GATEWAY_WS_MIN_INTERVAL_MS: '0',
        GATEWAY_WS_MAX_BUFFERED_BYTES: '65536',
        // the snapshot flood below is not to be refused by the per-socket frame budget first
        GATEWAY_WS_FRAMES_PER_SECOND: '10000',
      },
    });
  });
  afterAll(async () => {
    await fast?.stop();
  });

  test('a client that stops reading gets the latest value per lamp when it drains, never an unbounded buffer', async () => {
    const s = await connectWs(fast.wsUrl, fast.tokens.viewer);
    s.send({ type: 'subscribe', all: true });
    await s.next((f) => f.type === 'snapshot');
    const socket = (s.ws as any)._socket as import('node:net').Socket;
    socket.pause();
    const lampIds = fast.broker.registry.lamps.map((l) => l.id);
    const live = fast.gateway.context.live;
    const t0 = Date.now();
    const rounds = 150;
    let maxBuffered = 0;
    let maxPending = 0;
    for (let r = 1; r <= rounds; r++) {
      for (const id of lampIds)
        live.telemetry(reading(id, { actualLevel: r % 101, seq: r, ts: t0 + r }));
      const [session] = fast.gateway.ws.sessions();
      maxBuffered = Math.max(maxBuffered, session!.buffered);
      maxPending = Math.max(maxPending, session!.pending);
      // let the socket move bytes between rounds, as a real feed would
      await new Promise((res) => setImmediate(res));
    }
    const [session] = fast.gateway.ws.sessions();
    expect(session!.stats.coalesced).toBeGreaterThan(0);
    expect(maxPending).toBeLessThanOrEqual(lampIds.length);
    // bounded: the threshold plus at most one batch frame (500 lamps of ~0.5 kB)
    expect(maxBuffered).toBeLessThan(65_536 + 500 * 1024);
    socket.resume();
    const latest = await eventually('the latest value of every lamp', () => {
      const seen = new Map<string, number>();
      for (const f of s.frames)
        if (f.type === 'delta') for (const l of f.lamps) seen.set(l.lampId, l.telemetry.seq);
      return lampIds.every((id) => seen.get(id) === rounds) ? seen : undefined;
    });
    expect(latest.size).toBe(lampIds.length);
    const delivered = s.frames
      .filter((f) => f.type === 'delta')
      .reduce((n, f) => n + f.lamps.length, 0);
    expect(delivered).toBeLessThan(rounds * lampIds.length);
    await s.close();
  });

  test('a client that asks for binary snapshots and never reads them is dropped, not buffered for', async () => {
    const s = await connectWs(fast.wsUrl, fast.tokens.operator);
    await s.next((f) => f.type === 'hello');
    const socket = (s.ws as any)._socket as import('node:net').Socket;
    socket.pause();
    // 280 lamps x 49 bytes: ~14 kB a snapshot; 600 of them (8 MB) pass the kernel's buffers and
    // the 4 x 64 kB the gateway allows a reader that does not read
    for (let i = 0; i < 600; i++) s.send({ type: 'subscribe', all: true, format: 'binary' });
    await eventually(
      'the stuck reader dropped',
      () => !fast.gateway.ws.sessions().some((x) => x.username === 'operator'),
      { timeoutMs: 30_000 },
    );
    const metrics = await fetch(`${fast.base}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(
      /gadelys_gateway_websocket_refusals_total\{reason="slow_reader"\} [1-9]/,
    );
    socket.resume();
    await s.close();
  });
});

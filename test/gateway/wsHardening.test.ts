/**
 * The WebSocket as an attacker would try it: a token in the URL (it ends up in access logs),
 * another site's page opening a socket, a user opening sockets without end, a socket sending
 * frames as fast as it can.
 */

import { afterAll, beforeAll, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { originAllowed } from '../../services/gateway/ws/wsServer.ts';
import { type Harness, startHarness } from './harness.ts';
import { connectWs, type TestSocket } from './wsClient.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    env: {
      GATEWAY_WS_MAX_SOCKETS_PER_USER: '3',
      GATEWAY_WS_FRAMES_PER_SECOND: '5',
      GATEWAY_WS_ORIGINS: 'https://lab.example.org',
    },
  });
});
afterAll(async () => {
  await h?.stop();
});

/** The HTTP status an upgrade is refused with, or 101 when it opens. */
function upgradeStatus(
  url: string,
  opts: ConstructorParameters<typeof WebSocket>[2] = {},
  protocols?: string[],
) {
  return new Promise<number>((resolve) => {
    const ws = protocols ? new WebSocket(url, protocols, opts) : new WebSocket(url, opts);
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('open', () => {
      resolve(101);
      ws.close();
    });
    ws.once('error', () => undefined);
  });
}

test('a token in the URL is not accepted', async () => {
  expect(await upgradeStatus(`${h.wsUrl}?token=${h.tokens.viewer}`)).toBe(401);
  expect(await upgradeStatus(h.wsUrl, {}, ['gadelys', `bearer.${h.tokens.viewer}`])).toBe(101);
});

test("another site's page cannot open the socket; the gateway's own and listed origins can", async () => {
  const auth = { headers: { authorization: `Bearer ${h.tokens.viewer}` } };
  const own = new URL(h.base).origin;
  expect(await upgradeStatus(h.wsUrl, { ...auth, origin: 'https://evil.example' })).toBe(403);
  expect(await upgradeStatus(h.wsUrl, { ...auth, origin: own })).toBe(101);
  expect(await upgradeStatus(h.wsUrl, { ...auth, origin: 'https://lab.example.org' })).toBe(101);
  expect(originAllowed('null', '127.0.0.1:8080')).toBe(false);
  expect(originAllowed(undefined, '127.0.0.1:8080')).toBe(true);
});

test('a user holds at most so many sockets; closing one frees a place', async () => {
  const open: TestSocket[] = [];
  for (let i = 0; i < 3; i++) open.push(await connectWs(h.wsUrl, h.tokens.operator));
  await expect(connectWs(h.wsUrl, h.tokens.operator)).rejects.toMatchObject({ status: 429 });
  // other users are not affected
  const other = await connectWs(h.wsUrl, h.tokens.admin);
  await other.close();
  await open.pop()!.close();
  // the server sees the close shortly after the client does
  let again: TestSocket | undefined;
  for (let i = 0; i < 50 && !again; i++) {
    again = await connectWs(h.wsUrl, h.tokens.operator).catch(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return undefined;
    });
  }
  expect(again).toBeDefined();
  for (const s of [...open, again!]) await s.close();
});

test('a socket that floods frames is told once, then closed', async () => {
  const s = await connectWs(h.wsUrl, h.tokens.viewer);
  const closed = new Promise<number>((resolve) => s.ws.once('close', (code) => resolve(code)));
  for (let i = 0; i < 200; i++) s.send({ type: 'ping' });
  const err = await s.next((f) => f.type === 'error', 'rate error');
  expect(err).toMatchObject({ status: 429, code: 'rate_limited' });
  expect(await closed).toBe(4429);
  // well under the 200 sent were answered: the burst is twice the per-second rate
  expect(s.frames.filter((f) => f.type === 'pong').length).toBeLessThanOrEqual(12);
  expect(s.frames.filter((f) => f.type === 'error').length).toBe(1);
});

test('error frames carry the same code as REST', async () => {
  const s = await connectWs(h.wsUrl, h.tokens.vendor);
  s.send({ type: 'subscribe', lamps: ['NO-SUCH-LAMP'] });
  expect(await s.next((f) => f.type === 'error')).toMatchObject({ status: 404, code: 'not_found' });
  s.send({ type: 'subscribe', commands: true });
  expect(await s.next((f) => f.type === 'error')).toMatchObject({ status: 403, code: 'forbidden' });
  await s.close();
});

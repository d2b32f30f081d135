import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { z } from 'zod';
import {
  alarmView,
  commandView,
  followsAllCommands,
  seesAlarm,
  seesVendor,
  visibleLamp,
} from '../access.ts';
import { type CommandSummary, type LiveLamp, WsClientFrame, type WsServerFrame } from '../api.ts';
import { can, PERMISSIONS, type Principal } from '../auth/roles.ts';
import { GATEWAY_DEFAULTS } from '../config.ts';
import { bearerOf, type GatewayContext } from '../context.ts';
import { GatewayError, zodIssues } from '../errors.ts';
import type { ActiveAlarm } from '../live/LiveView.ts';
import { ClientSession } from './ClientSession.ts';
import {
  binaryDeltaFrame,
  binarySnapshotFrame,
  deltaFrame,
  LiveIndex,
  snapshotFrame,
} from './liveFrames.ts';

export const WS_PATH = '/ws';
/** Largest frame a client may send; a command or a subscription to every lamp fits. */
const MAX_CLIENT_FRAME = 512 * 1024;

export interface WsOptions {
  minIntervalMs: number;
  maxBufferedBytes: number;
  /** Open sockets one user may hold; the next one is refused with 429. */
  maxSocketsPerUser?: number;
  /** Frames a socket may send a second (burst of twice that); beyond, they are refused. */
  framesPerSecond?: number;
  /**
   * Origins a browser may open the socket from besides the gateway's own (Host), e.g.
   * `https://lab.example.org`. A request without an Origin (not a browser) is not checked.
   */
  allowedOrigins?: readonly string[];
  /** How often pending (coalesced) updates are flushed, ms. */
  flushEveryMs?: number;
  /** How often open sockets' tokens are checked again (revoked, expired, user deleted), ms. */
  revalidateEveryMs?: number;
}

/** Open sockets whose token stopped being valid are closed within this long. */
const REVALIDATE_EVERY_MS = 5_000;

interface Client {
  ws: WebSocket;
  principal: Principal;
  session: ClientSession<LiveLamp>;
  /** null: all lamps the principal may see; empty set: none. */
  lamps: Set<string> | null | undefined;
  alarms: boolean;
  commands: boolean;
  /** Live frames as GLF1 binary messages (`format: 'binary'`) instead of JSON. */
  binary: boolean;
  /** Positions of the lamps of the current subscription, fixed by its snapshot. */
  index?: LiveIndex;
  /** Frames this socket may still send now (token bucket). */
  budget: { tokens: number; at: number };
  /** Frames refused in a row for the rate; a socket that keeps on is closed. */
  refusedInARow: number;
}

/**
 * Token from `Authorization: Bearer` or the `bearer.<token>` subprotocol (browsers cannot set
 * headers on a WebSocket). Never from the URL: a query string ends up in access logs.
 */
function tokenOf(req: IncomingMessage): string | undefined {
  const header = bearerOf(req.headers.authorization);
  if (header) return header;
  const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((s) => s.trim());
  return protocols.find((p) => p.startsWith('bearer.'))?.slice('bearer.'.length) || undefined;
}

/**
 * A browser's Origin must be the gateway's own or a listed one: another site's page could
 * otherwise open a socket with a token it got hold of (cross-site WebSocket hijacking).
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[] = [],
): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  const body = JSON.stringify({ ok: false, status, error: text });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The live WebSocket: authenticated at connect, snapshot on subscribe, then coalesced deltas. */
export function attachWebSocket(server: Server, ctx: GatewayContext, opts: WsOptions) {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_CLIENT_FRAME,
    handleProtocols: (protocols) => (protocols.has('gadelys') ? 'gadelys' : false),
  });
  const clients = new Set<Client>();
  const framesPerSecond = opts.framesPerSecond ?? GATEWAY_DEFAULTS.wsFramesPerSecond;

  /** A GatewayError as an error frame: the same code and status as REST would answer. */
  function sendError(c: Client, err: GatewayError, ref?: string): void {
    const e: WsServerFrame = {
      type: 'error',
      status: err.status,
      code: err.code,
      error: err.message,
    };
    if (err.issues) e.issues = err.issues;
    if (ref !== undefined) e.ref = ref;
    send(c, e);
  }

  /** A refused upgrade, counted as REST counts its refusals (an attack shows in /metrics). */
  const turnAway = (socket: Duplex, status: number, text: string): void => {
    ctx.metrics.wsRefusals.inc({ reason: String(status) });
    refuse(socket, status, text);
  };

  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== WS_PATH)
      return turnAway(socket, 404, 'Not Found');
    if (!originAllowed(req.headers.origin, req.headers.host, opts.allowedOrigins))
      return turnAway(socket, 403, 'Forbidden');
    const token = tokenOf(req);
    const accept = (principal: Principal | undefined) => {
      if (!principal) return turnAway(socket, 401, 'Unauthorized');
      let open = 0;
      for (const c of clients) if (c.principal.username === principal.username) open++;
      if (open >= (opts.maxSocketsPerUser ?? GATEWAY_DEFAULTS.wsMaxSocketsPerUser))
        return turnAway(socket, 429, 'Too Many Requests');
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, principal));
    };
    // Shared sessions (a cluster) are read from Redis; a failed read refuses like a bad token.
    if (!token) return accept(undefined);
    ctx.users
      .authenticateNow(token)
      .then(accept, () => turnAway(socket, 503, 'Service Unavailable'));
  });

  const flushEveryMs = opts.flushEveryMs ?? Math.max(10, Math.min(50, opts.minIntervalMs));

  /** A JSON frame, or a binary live snapshot (already encoded). */
  function send(c: Client, frame: WsServerFrame | Uint8Array): void {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    // Snapshots, alarms and command updates: a client that stops reading altogether is dropped
    // rather than buffered for without limit.
    if (c.ws.bufferedAmount > opts.maxBufferedBytes * 4) {
      ctx.metrics.wsRefusals.inc({ reason: 'slow_reader' });
      c.ws.terminate();
      return;
    }
    c.ws.send(frame instanceof Uint8Array ? frame : JSON.stringify(frame));
  }

  /** The active alarms this client's subscription asked for and may see. */
  function scopedAlarms(c: Client) {
    return ctx.live
      .activeAlarms()
      .filter((a) => alarmInScope(c, a))
      .map((a) => alarmView(c.principal, a));
  }

  function onConnection(ws: WebSocket, principal: Principal): void {
    const c: Client = {
      ws,
      principal,
      lamps: undefined,
      alarms: false,
      commands: false,
      binary: false,
      budget: { tokens: 2 * framesPerSecond, at: ctx.now() },
      refusedInARow: 0,
      session: new ClientSession<LiveLamp>(
        {
          send: (batch) => {
            if (ws.readyState !== WebSocket.OPEN || !c.index) return;
            if (c.binary) ws.send(binaryDeltaFrame(batch, c.index, ctx.now()));
            else ws.send(JSON.stringify(deltaFrame(batch, c.index, ctx.now())));
          },
          bufferedAmount: () => ws.bufferedAmount,
        },
        {
          minIntervalMs: opts.minIntervalMs,
          // one delta frame per flush at most, however many readings arrive in between
          minFrameGapMs: flushEveryMs,
          maxBufferedBytes: opts.maxBufferedBytes,
          now: ctx.now,
        },
      ),
    };
    clients.add(c);
    ws.on('close', () => clients.delete(c));
    ws.on('error', (err: Error & { code?: string }) => {
      clients.delete(c);
      // the ws library closes with 1009 a frame beyond maxPayload [RFC 6455 7.4.1]
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
        ctx.metrics.wsRefusals.inc({ reason: 'frame_too_large' });
    });
    ws.on('message', (data, isBinary) => {
      void onMessage(c, isBinary ? '' : data.toString()).catch((err: unknown) => {
        ctx.log.warn({ err }, 'websocket message failed');
      });
    });
    const hello: WsServerFrame = {
      type: 'hello',
      username: principal.username,
      role: principal.role,
      permissions: PERMISSIONS.filter((perm) => can(principal.role, perm)),
    };
    if (principal.vendorId !== undefined) hello.vendorId = principal.vendorId;
    send(c, hello);
  }

  /** Take one frame from the socket's budget; false when it sends faster than allowed. */
  function takeFrame(c: Client): boolean {
    const t = ctx.now();
    const b = c.budget;
    b.tokens = Math.min(2 * framesPerSecond, b.tokens + ((t - b.at) * framesPerSecond) / 1000);
    b.at = t;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  async function onMessage(c: Client, text: string): Promise<void> {
    if (!takeFrame(c)) {
      c.refusedInARow++;
      // A client that keeps sending after being told is not a dashboard: close it.
      if (c.refusedInARow > 4 * framesPerSecond) {
        ctx.metrics.wsRefusals.inc({ reason: 'frame_rate' });
        return c.ws.close(4429, 'too many frames');
      }
      if (c.refusedInARow === 1)
        sendError(c, new GatewayError('rate_limited', 'too many frames; slow down', undefined, 1));
      return;
    }
    c.refusedInARow = 0;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return sendError(c, new GatewayError('invalid', 'frames are JSON text'));
    }
    const parsed = WsClientFrame.safeParse(json);
    if (!parsed.success)
      return sendError(c, new GatewayError('invalid', 'invalid frame', zodIssues(parsed.error)));
    const frame = parsed.data;
    // Re-check the token on every frame: a revoked token stops working on open sockets too.
    if (!stillValid(c)) return revoke(c);
    try {
      await handle(c, frame);
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      sendError(c, err, frame.type === 'command' ? frame.ref : undefined);
    }
  }

  async function handle(c: Client, frame: z.output<typeof WsClientFrame>): Promise<void> {
    const p = c.principal;
    switch (frame.type) {
      case 'ping':
        return send(c, { type: 'pong' });
      case 'unsubscribe':
        c.lamps = undefined;
        c.alarms = false;
        c.commands = false;
        c.binary = false;
        c.index = undefined;
        c.session.reset();
        return;
      case 'subscribe': {
        if (frame.commands && !followsAllCommands(p))
          throw new GatewayError('forbidden', 'vendors cannot follow command updates');
        let lamps: Set<string> | null;
        if (frame.all) lamps = null;
        else {
          lamps = new Set<string>();
          for (const id of frame.lamps ?? []) lamps.add(visibleLamp(p, id, ctx.registry).id);
          for (const sid of frame.segments ?? []) {
            const seg = ctx.registry.segment(sid);
            if (!seg) throw new GatewayError('not_found', `no segment ${sid}`);
            // A vendor subscribing to a segment gets its own lamps in it, nobody else's.
            for (const id of seg.lampIds)
              if (seesVendor(p, ctx.live.get(id)?.vendorId)) lamps.add(id);
          }
        }
        c.lamps = lamps;
        c.alarms = frame.alarms ?? false;
        c.commands = frame.commands ?? false;
        c.binary = frame.format === 'binary';
        c.session.reset();
        if (c.binary) return sendBinarySnapshot(c, lamps === null);
        const snapshot = ctx.live.all().filter((l) => inScope(c, l));
        const { frame: out, index } = snapshotFrame(snapshot, ctx.now());
        c.index = index;
        if (c.alarms) out.alarms = scopedAlarms(c);
        return send(c, out);
      }
      case 'command': {
        // Checked by the command service exactly as POST /api/commands is.
        const issued = await ctx.commands.issue(p, frame.request);
        // Acks may have arrived while the audit entry was written: send the current state.
        const summary = (await ctx.tracker.get(issued.commandId)) ?? issued;
        const ack: WsServerFrame = { type: 'commandAccepted', command: summary };
        if (frame.ref !== undefined) ack.ref = frame.ref;
        return send(c, ack);
      }
    }
  }

  /**
   * The binary snapshot. For a subscription to everything the positions are the registry
   * columns' order for this principal (registry order, the caller's vendor only: what
   * `/api/lamps/columns` answers), so the frame needs no ids; otherwise it lists them.
   */
  function sendBinarySnapshot(c: Client, all: boolean): void {
    const lamps: LiveLamp[] = [];
    for (const l of ctx.registry.lamps) {
      const state = ctx.live.get(l.id);
      if (state && inScope(c, state)) lamps.push(state);
    }
    const index = new LiveIndex(lamps.map((l) => l.lampId));
    c.index = index;
    const alarms = c.alarms ? (scopedAlarms(c) as unknown as Record<string, unknown>[]) : undefined;
    send(
      c,
      binarySnapshotFrame(lamps, index, ctx.now(), {
        withIds: !all,
        ...(alarms ? { alarms } : {}),
      }),
    );
  }

  function stillValid(c: Client): boolean {
    return ctx.users.isTokenActive(c.principal.tokenId);
  }

  function revoke(c: Client): void {
    sendError(c, new GatewayError('unauthenticated', 'token revoked or expired'));
    // counted once: a frame already read may find the socket the sweep revoked
    if (clients.delete(c)) ctx.metrics.wsRefusals.inc({ reason: 'token_revoked' });
    c.ws.close(4401, 'unauthorized');
  }

  function inScope(c: Client, lamp: LiveLamp): boolean {
    if (c.lamps === undefined) return false;
    if (!seesVendor(c.principal, lamp.vendorId)) return false;
    return c.lamps === null || c.lamps.has(lamp.lampId);
  }

  function alarmInScope(c: Client, a: ActiveAlarm): boolean {
    return seesAlarm(c.principal, a, ctx.registry);
  }

  const offLamp = ctx.live.subscribe((lamp) => {
    if (clients.size === 0) return;
    // Encoded per client at flush time: each client's frame names lamps by its own positions.
    for (const c of clients) if (inScope(c, lamp)) c.session.offer(lamp.lampId, lamp);
  });
  const offAlarm = ctx.live.subscribeAlarms((alarm) => {
    for (const c of clients)
      if (c.alarms && alarmInScope(c, alarm))
        send(c, { type: 'alarm', alarm: alarmView(c.principal, alarm) });
  });

  function commandUpdate(summary: CommandSummary): void {
    for (const c of clients)
      if (c.commands && followsAllCommands(c.principal))
        send(c, { type: 'command', command: commandView(c.principal, summary) });
  }

  const timer = setInterval(() => {
    for (const c of clients) if (c.session.pendingCount > 0) c.session.flush();
  }, flushEveryMs);
  timer.unref();
  // Pushes do not check the token (a check per delta would cost more than the delta): a sweep
  // closes sockets of revoked or expired tokens and deleted users, whether or not they send.
  const sweep = setInterval(() => {
    for (const c of clients) if (!stillValid(c)) revoke(c);
  }, opts.revalidateEveryMs ?? REVALIDATE_EVERY_MS);
  sweep.unref();

  return {
    commandUpdate,
    get clientCount() {
      return clients.size;
    },
    sessions: () =>
      [...clients].map((c) => ({
        username: c.principal.username,
        stats: c.session.stats,
        pending: c.session.pendingCount,
        buffered: c.ws.bufferedAmount,
      })),
    close(): Promise<void> {
      clearInterval(timer);
      clearInterval(sweep);
      offLamp();
      offAlarm();
      for (const c of clients) c.ws.terminate();
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}

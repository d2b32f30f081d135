/**
 * Dashboard clients for the faults-under-load suite: the web app's own live connection
 * (dashboards/src/live/liveState.ts, with its reconnect backoff and resubscribe on hello), run
 * in Node over `ws`. Each client has its own token, so each socket it opens is counted as its
 * own: opens, snapshots (a resubscription answered) and deltas, each with the time it came.
 */
import { WebSocket } from 'ws';
import type { Api } from '../../dashboards/src/app/api.ts';
import { createLiveState, type LiveState } from '../../dashboards/src/live/liveState.ts';
import { decodeLiveFrame } from '../../shared/live/binaryFrames.ts';

export interface ClientLog {
  opens: number[];
  snapshots: number[];
  deltas: number[];
  alarmFrames: number;
}

export interface LiveClient {
  state: LiveState;
  log: ClientLog;
  sessionEnded: boolean;
}

/** The message as an ArrayBuffer, whichever `binaryType` the live module set. */
function toArrayBuffer(data: WebSocket.RawData): ArrayBuffer {
  if (data instanceof ArrayBuffer) return data;
  const b = Array.isArray(data) ? Buffer.concat(data) : data;
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

const logs = new Map<string, ClientLog>();

/** `ws` with the browser's constructor shape, logging each socket under its bearer token. */
class LoggedWebSocket extends WebSocket {
  constructor(url: string, protocols: string[]) {
    super(url, protocols, { perMessageDeflate: false });
    // A browser reports a refused connection as an event and then closes; `ws` throws an
    // 'error' nobody listens to. The close that follows is what the live module acts on.
    this.on('error', () => undefined);
    const token = protocols.find((p) => p.startsWith('bearer.'))?.slice(7) ?? '';
    const log = logs.get(token);
    if (!log) return;
    this.on('open', () => log.opens.push(performance.now()));
    this.on('message', (data, isBinary) => {
      // Only the frame type: a binary live frame's head, or `{"type":"delta",...` of a JSON one.
      const type = isBinary
        ? decodeLiveFrame(toArrayBuffer(data)).head.type
        : /^\{"type":"(\w+)"/.exec(data.toString())?.[1];
      if (type === 'snapshot') log.snapshots.push(performance.now());
      else if (type === 'delta') log.deltas.push(performance.now());
      else if (type === 'alarm') log.alarmFrames++;
    });
  }
}

/** Install the browser globals the live module uses (once per test process). */
export function installBrowserGlobals(base: string): void {
  const url = new URL(base);
  Object.assign(globalThis, {
    WebSocket: LoggedWebSocket,
    location: { protocol: url.protocol, host: url.host },
  });
}

function apiFor(base: string, token: string): Api {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json().catch(() => ({}))) as T;
    if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status });
    return json;
  };
  // Built loose and cast: the web app's Api grows (binary reads); the live module uses get and bytes.
  const api = {
    get: <T>(p: string) => call<T>('GET', p),
    post: <T>(p: string, b?: unknown) => call<T>('POST', p, b),
    put: <T>(p: string, b?: unknown) => call<T>('PUT', p, b),
    del: <T>(p: string) => call<T>('DELETE', p),
    bytes: async (p: string) => {
      const res = await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${token}` } });
      if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status });
      return res.arrayBuffer();
    },
  };
  return api as unknown as Api;
}

export async function startLiveClient(base: string, token: string): Promise<LiveClient> {
  const log: ClientLog = { opens: [], snapshots: [], deltas: [], alarmFrames: 0 };
  logs.set(token, log);
  const client: LiveClient = { log, sessionEnded: false, state: undefined as never };
  client.state = createLiveState({
    api: apiFor(base, token),
    token: () => token,
    onSessionEnded: () => {
      client.sessionEnded = true;
    },
    onHello: () => undefined,
  });
  await client.state.start();
  return client;
}

// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
import { WebSocket } from 'ws';
import { LIVE_FIELDS, LIVE_STATUS, type LiveColumns } from '../../services/gateway/api.ts';

/**
 * The compact live columns as one object per lamp (`lampId`, `status`, `statusTs`, `telemetry`
 * with the streamed fields), decoded independently of the dashboard so tests can read frames.
 */
export function expandColumns(live: LiveColumns, lampIds: readonly string[], t0: number): any[] {
  return live.i.map((p, k) => {
    const ts = live.ts[k];
    let telemetry: Record<string, number> | null = null;
    if (ts !== null && ts !== undefined) {
      telemetry = { ts: ts + t0 };
      for (const f of LIVE_FIELDS) {
        const v = live[f][k];
        if (v !== null && v !== undefined) telemetry[f] = v;
      }
    }
    const st = live.statusTs[k];
    return {
      lampId: lampIds[p],
      status: LIVE_STATUS[live.status[k]!],
      statusTs: st === null || st === undefined ? null : st + t0,
      telemetry,
    };
  });
}

export interface TestSocket {
  ws: WebSocket;
  frames: any[];
  /** Wait for the first frame (after those already consumed) matching `pred`. */
  next(pred: (f: any) => boolean, what?: string, timeoutMs?: number): Promise<any>;
  send(frame: unknown): void;
  close(): Promise<void>;
}

/** Connect with a token in the Authorization header; rejects with the HTTP status on refusal. */
export function connectWs(
  url: string,
  token?: string,
  via: 'header' | 'protocol' = 'header',
): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws =
      via === 'protocol' && token
        ? new WebSocket(url, ['gadelys', `bearer.${token}`], { perMessageDeflate: false })
        : new WebSocket(url, {
            perMessageDeflate: false,
            headers: token ? { authorization: `Bearer ${token}` } : {},
          });
    const frames: any[] = [];
    let cursor = 0;
    const waiters: (() => void)[] = [];
    let lampIds: string[] = [];
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      // Live frames also get `lamps`, one object per lamp, for the tests to read.
      if (frame.type === 'snapshot') lampIds = frame.lampIds;
      if (frame.type === 'snapshot' || frame.type === 'delta')
        frame.lamps = expandColumns(frame.live, lampIds, frame.t0);
      frames.push(frame);
      for (const w of waiters.splice(0)) w();
    });
    ws.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
    );
    ws.once('error', reject);
    ws.once('open', () => {
      resolve({
        ws,
        frames,
        next(pred, what = 'frame', timeoutMs = 5000) {
          return new Promise((res, rej) => {
            const timer = setTimeout(
              () => rej(new Error(`no ${what} within ${timeoutMs} ms`)),
              timeoutMs,
            );
            const look = () => {
              while (cursor < frames.length) {
                const f = frames[cursor++];
                if (pred(f)) {
                  clearTimeout(timer);
                  res(f);
                  return;
                }
              }
              waiters.push(look);
            };
            look();
          });
        },
        send: (frame) => ws.send(JSON.stringify(frame)),
        close: () =>
          new Promise<void>((res) => {
            if (ws.readyState === WebSocket.CLOSED) return res();
            ws.once('close', () => res());
            ws.close();
          }),
      });
    });
  });
}

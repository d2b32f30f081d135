// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
import { WebSocket } from 'ws';

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
    ws.on('message', (data) => {
      frames.push(JSON.parse(data.toString()));
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

// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
import { WebSocket } from 'ws';
import { LIVE_FIELDS, LIVE_STATUS, type LiveColumns } from '../../services/gateway/api.ts';
import {
  decodeLiveFrame,
  LIVE_STATUS_CODES,
  type LiveFrame,
  NO_TIME,
} from '../../shared/live/binaryFrames.ts';

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

/** Binary frame columns under their wire names, in the order of LIVE_FIELDS. */
const BINARY_FIELD = {
  activeEnergy: 'energy',
  seq: 'seq',
  actualLevel: 'level',
  targetLevel: 'target',
  activePower: 'power',
  supplyVoltage: 'voltage',
  supplyCurrent: 'current',
  illuminance: 'lux',
} as const;

/**
 * A binary (GLF1) live frame as one object per lamp, like expandColumns: `position` always, and
 * `lampId` from the head's ids or else from `ids` (the registry columns' order).
 */
export function expandBinary(frame: LiveFrame, ids: readonly string[] | undefined): any[] {
  const { cols, head, n } = frame;
  const names = head.lampIds ?? ids;
  const out: any[] = [];
  for (let k = 0; k < n; k++) {
    const position = cols.position ? cols.position[k]! : k;
    const ts = cols.ts[k]!;
    let telemetry: Record<string, number> | null = null;
    if (ts !== NO_TIME) {
      telemetry = { ts: ts + head.t0 };
      for (const f of LIVE_FIELDS) {
        const v = cols[BINARY_FIELD[f as keyof typeof BINARY_FIELD]][k]!;
        if (!Number.isNaN(v)) telemetry[f] = v;
      }
    }
    const st = cols.statusTs[k]!;
    out.push({
      position,
      lampId: names?.[position],
      status: LIVE_STATUS_CODES[cols.status[k]!],
      statusTs: st === NO_TIME ? null : st + head.t0,
      telemetry,
    });
  }
  return out;
}

export interface TestSocket {
  ws: WebSocket;
  frames: any[];
  /** Wait for the first frame (after those already consumed) matching `pred`. */
  next(pred: (f: any) => boolean, what?: string, timeoutMs?: number): Promise<any>;
  send(frame: unknown): void;
  close(): Promise<void>;
  /** Lamp ids of binary frames' positions when the head carries none (registry columns' order). */
  binaryIds?: readonly string[];
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
    let socket: TestSocket | undefined;
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        // Binary live frames: `binary` (the decoded frame), `bytes` and `lamps` as for JSON ones.
        const b = data as Buffer;
        const decoded = decodeLiveFrame(
          b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer,
        );
        frames.push({
          type: decoded.head.type,
          t0: decoded.head.t0,
          head: decoded.head,
          binary: decoded,
          bytes: b.byteLength,
          lamps: expandBinary(decoded, socket?.binaryIds),
        });
        for (const w of waiters.splice(0)) w();
        return;
      }
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
      socket = {
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
      };
      resolve(socket);
    });
  });
}

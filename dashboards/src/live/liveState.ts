/**
 * The live connection: loads the registry, opens the WebSocket (the token rides in a
 * subprotocol; browsers cannot set headers), subscribes to everything the principal may see,
 * and keeps the LiveTable and the AlarmBook current. Reconnects with backoff; a dead token ends
 * the session instead.
 */

import type { WsServerFrame } from '../../../services/gateway/api.ts';
import type { Permission } from '../../../services/gateway/auth/roles.ts';
import { decodeColumnsBinary } from '../../../shared/registry/columns.ts';
import type { Api } from '../app/api.ts';
import { Signal } from '../app/store.ts';
import { type ActiveAlarm, AlarmBook } from './alarms.ts';
import { applyColumns, checkColumns, rowsOf } from './decode.ts';
import { LiveTable } from './LiveTable.ts';

export type Connection = 'idle' | 'connecting' | 'live' | 'offline';

export interface LiveState {
  readonly table: LiveTable;
  readonly alarms: AlarmBook;
  readonly connection: Signal<Connection>;
  /** Bumped (once per frame) whenever live values, the registry or alarms changed. */
  readonly changed: Signal<number>;
  readonly ready: Signal<boolean>;
  start(): Promise<void>;
  stop(): void;
}

export interface LiveDeps {
  api: Api;
  token: () => string;
  /** The socket was refused or closed for a dead token. */
  onSessionEnded: () => void;
  onHello: (hello: { permissions: readonly Permission[] }) => void;
}

export function createLiveState(deps: LiveDeps): LiveState {
  const table = new LiveTable();
  const alarms = new AlarmBook();
  const connection = new Signal<Connection>('idle');
  const changed = new Signal(0);
  const ready = new Signal(false);
  let socket: WebSocket | undefined;
  let retryMs = 500;
  let stopped = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bump = () => changed.set(changed.value + 1);

  /** Table row of each position of the current subscription's snapshot. */
  let rows: Int32Array = new Int32Array(0);

  function onFrame(frame: WsServerFrame): void {
    switch (frame.type) {
      case 'hello':
        deps.onHello({ permissions: frame.permissions ?? [] });
        socket?.send(JSON.stringify({ type: 'subscribe', all: true, alarms: true }));
        return;
      case 'snapshot': {
        const next = rowsOf(table, frame.lampIds);
        checkColumns(frame.live, next.length);
        rows = next;
        applyColumns(table, rows, frame.live, frame.t0);
        alarms.replace((frame.alarms ?? []) as ActiveAlarm[]);
        alarms.markLamps(table);
        ready.set(true);
        bump();
        return;
      }
      case 'delta':
        checkColumns(frame.live, rows.length);
        if (applyColumns(table, rows, frame.live, frame.t0) > 0) bump();
        return;
      case 'alarm':
        alarms.apply(frame.alarm as ActiveAlarm);
        alarms.markLamps(table);
        bump();
        return;
      default:
        return;
    }
  }

  function connect(): void {
    if (stopped) return;
    connection.set('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const ws = new WebSocket(url, ['gadelys', `bearer.${deps.token()}`]);
    socket = ws;
    ws.onopen = () => {
      retryMs = 500;
      connection.set('live');
    };
    ws.onmessage = (e) => {
      let frame: WsServerFrame;
      try {
        frame = JSON.parse(String(e.data)) as WsServerFrame;
      } catch {
        return;
      }
      try {
        onFrame(frame);
      } catch (err) {
        // A malformed frame is dropped whole; the next snapshot or delta carries on.
        console.warn('gadelys: live frame refused:', err instanceof Error ? err.message : err);
      }
    };
    ws.onclose = (e) => {
      if (socket !== ws) return;
      socket = undefined;
      connection.set('offline');
      if (stopped) return;
      if (e.code === 4401) return deps.onSessionEnded();
      const retry = () => {
        timer = setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 15_000);
      };
      // A refused upgrade (a dead token) looks like any lost connection here: ask the API.
      deps.api.get('/api/auth/me').then(retry, (err: { status?: number }) => {
        if (err.status !== 401) retry();
      });
    };
  }

  return {
    table,
    alarms,
    connection,
    changed,
    ready,
    async start() {
      if (!stopped) return;
      stopped = false;
      // binary: 100,000 positions arrive as typed arrays, with no JSON number to parse
      table.setRegistryColumns(
        decodeColumnsBinary(await deps.api.bytes('/api/lamps/columns?format=binary')),
      );
      bump();
      connect();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      ready.set(false);
      const ws = socket;
      socket = undefined;
      ws?.close();
      connection.set('idle');
    },
  };
}

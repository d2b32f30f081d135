/**
 * The live connection: loads the registry, opens the WebSocket (the token rides in a
 * subprotocol; browsers cannot set headers), subscribes to everything the principal may see,
 * and keeps the LiveTable and the AlarmBook current. Reconnects with backoff; a dead token ends
 * the session instead.
 */

import type { WsServerFrame } from '../../../services/gateway/api.ts';
import type { Permission } from '../../../services/gateway/auth/roles.ts';
import {
  decodeLiveFrame,
  type LiveFrame,
  registryHash,
} from '../../../shared/live/binaryFrames.ts';
import { decodeColumnsBinary } from '../../../shared/registry/columns.ts';
import type { Api } from '../app/api.ts';
import { Signal } from '../app/store.ts';
import { type ActiveAlarm, AlarmBook } from './alarms.ts';
import { applyBinaryFrame, applyColumns, checkColumns, identityRows, rowsOf } from './decode.ts';
import { LiveTable } from './LiveTable.ts';

export type Connection = 'idle' | 'connecting' | 'live' | 'offline';

export interface LiveState {
  readonly table: LiveTable;
  readonly alarms: AlarmBook;
  readonly connection: Signal<Connection>;
  /** Bumped (once per frame) whenever live values, the registry or alarms changed. */
  readonly changed: Signal<number>;
  readonly ready: Signal<boolean>;
  /** Live frames refused (malformed, or for another registry) since the page loaded. */
  readonly rejectedFrames: () => number;
  /** The live frames' format in use: binary unless the registry could not be matched. */
  readonly format: () => 'binary' | 'json';
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
  let rejected = 0;
  /** Binary frames name lamps by the registry's positions; JSON ones carry ids (the fallback). */
  let format: 'binary' | 'json' = 'binary';
  /** registryHash of the table's ids, computed once per registry answer. */
  let tableHash = '';
  let refetching = false;
  /** Frames that came before the registry answer (the socket opens beside it) wait here. */
  let early: (LiveFrame | WsServerFrame)[] | undefined;

  function subscribe(): void {
    socket?.send(JSON.stringify({ type: 'subscribe', all: true, alarms: true, format }));
  }

  async function loadRegistry(): Promise<void> {
    // binary: 100,000 positions arrive as typed arrays, with no JSON number to parse
    table.setRegistryColumns(
      decodeColumnsBinary(await deps.api.bytes('/api/lamps/columns?format=binary')),
    );
    tableHash = registryHash(table.ids);
    bump();
  }

  /**
   * A binary snapshot for another registry than the page holds (an import since it loaded):
   * fetch the registry again and subscribe again; if it still differs, fall back to JSON frames.
   */
  function registryChanged(): void {
    if (refetching) return;
    refetching = true;
    const before = tableHash;
    loadRegistry()
      .catch(() => undefined)
      .finally(() => {
        refetching = false;
        if (tableHash === before) format = 'json';
        subscribe();
      });
  }

  function onBinary(frame: LiveFrame): void {
    const { head } = frame;
    if (head.type === 'snapshot') {
      let next: Int32Array;
      if (head.lampIds) next = rowsOf(table, head.lampIds);
      else if (head.registry === tableHash && head.positions === table.size)
        next = identityRows(head.positions);
      else {
        rejected += 1;
        registryChanged();
        return;
      }
      rows = next;
      applyBinaryFrame(table, rows, frame);
      alarms.replace((head.alarms ?? []) as unknown as ActiveAlarm[]);
      alarms.markLamps(table);
      performance.mark('gadelys:snapshot-applied');
      ready.set(true);
      bump();
      return;
    }
    if (head.positions !== rows.length) {
      rejected += 1;
      return;
    }
    if (applyBinaryFrame(table, rows, frame) > 0) bump();
  }

  function onFrame(frame: WsServerFrame): void {
    switch (frame.type) {
      case 'hello':
        deps.onHello({ permissions: frame.permissions ?? [] });
        subscribe();
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

  /** One message from the socket; refused ones are counted and dropped, never thrown. */
  function receive(data: unknown): void {
    try {
      if (data instanceof ArrayBuffer) {
        const frame = decodeLiveFrame(data);
        if (early) early.push(frame);
        else onBinary(frame);
        return;
      }
      const frame = JSON.parse(String(data)) as WsServerFrame;
      // only the hello (which subscribes) goes ahead of the registry answer
      if (early && frame.type !== 'hello') early.push(frame);
      else onFrame(frame);
    } catch (err) {
      // A malformed frame is dropped whole and counted; the next snapshot or delta carries on.
      rejected += 1;
      console.warn('gadelys: live frame refused:', err instanceof Error ? err.message : err);
    }
  }

  /** Apply the frames that waited for the registry answer. */
  function drain(): void {
    const queued = early ?? [];
    early = undefined;
    for (const frame of queued) {
      try {
        if ('head' in frame) onBinary(frame);
        else onFrame(frame);
      } catch (err) {
        rejected += 1;
        console.warn('gadelys: live frame refused:', err instanceof Error ? err.message : err);
      }
    }
  }

  function connect(): void {
    if (stopped) return;
    connection.set('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const ws = new WebSocket(url, ['gadelys', `bearer.${deps.token()}`]);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.onopen = () => {
      retryMs = 500;
      connection.set('live');
    };
    ws.onmessage = (e) => receive(e.data);
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

  function stop(): void {
    stopped = true;
    early = undefined;
    if (timer) clearTimeout(timer);
    ready.set(false);
    const ws = socket;
    socket = undefined;
    ws?.close();
    connection.set('idle');
  }

  return {
    table,
    alarms,
    connection,
    changed,
    ready,
    rejectedFrames: () => rejected,
    format: () => format,
    async start() {
      if (!stopped) return;
      stopped = false;
      format = 'binary';
      // The socket opens beside the registry request; the snapshot waits for the registry
      // (its positions are the registry's), so the map is drawn first, the live values after.
      early = [];
      performance.mark('gadelys:registry-requested');
      const registry = loadRegistry();
      connect();
      try {
        await registry;
      } catch (err) {
        stop();
        throw err;
      }
      performance.mark('gadelys:registry-loaded');
      drain();
    },
    stop,
  };
}

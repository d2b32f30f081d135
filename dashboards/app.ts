/**
 * The live dashboard: a map and a list of lamps with live level and power, alarms, and a command
 * form. Plain DOM, no framework; the gateway strips the types and serves this as an ES module.
 * Types come from the gateway's wire types and the shared contract, so a contract change breaks
 * the typecheck here too. Data is only ever written with textContent (never innerHTML).
 */
import type { CommandRequest, WsServerFrame } from '../services/gateway/api.ts';
import type { Alarm } from '../shared/contract/index.ts';
import {
  $,
  alarms,
  buildMap,
  buildTable,
  commands,
  type Lamp,
  render,
  renderAlarms,
  renderCommands,
  renderSummary,
  rows,
  text,
} from './view.ts';

let token = sessionStorage.getItem('gadelys.token') ?? '';
let socket: WebSocket | undefined;
let retryMs = 500;

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, {
    ...init,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      ...(init.headers ?? {}),
    },
  });
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}
let dirty = false;
function scheduleSummary(): void {
  if (dirty) return;
  dirty = true;
  requestAnimationFrame(() => {
    dirty = false;
    renderSummary();
  });
}

function onFrame(frame: WsServerFrame): void {
  switch (frame.type) {
    case 'hello':
      text(
        $('#who'),
        `${frame.username} (${frame.role}${frame.vendorId ? `: ${frame.vendorId}` : ''})`,
      );
      $<HTMLElement>('#command-card').hidden = !(
        frame.role === 'operator' || frame.role === 'admin'
      );
      socket?.send(
        JSON.stringify({
          type: 'subscribe',
          all: true,
          alarms: true,
          commands: frame.role === 'operator' || frame.role === 'admin',
        }),
      );
      break;
    case 'snapshot':
      for (const l of frame.lamps) render(l);
      alarms.clear();
      for (const a of (frame.alarms ?? []) as Alarm[]) alarms.set(a.alarmId, a);
      renderAlarms();
      scheduleSummary();
      break;
    case 'delta':
      for (const l of frame.lamps) render(l);
      scheduleSummary();
      break;
    case 'alarm': {
      const a = frame.alarm as Alarm;
      alarms.set(a.alarmId, a);
      renderAlarms();
      scheduleSummary();
      break;
    }
    case 'command':
    case 'commandAccepted': {
      // Frames may cross: never replace a finished command's state with an older pending one.
      const held = commands.get(frame.command.commandId);
      if (!(held?.completedAt !== undefined && frame.command.completedAt === undefined)) {
        commands.set(frame.command.commandId, frame.command);
      }
      renderCommands();
      if (frame.type === 'commandAccepted') text($('#command-error'), '');
      break;
    }
    case 'error':
      if (frame.ref !== undefined)
        text(
          $('#command-error'),
          frame.issues?.map((i) => `${i.path}: ${i.message}`).join('; ') || frame.error,
        );
      break;
    case 'pong':
      break;
  }
}

/** The token is dead (revoked, expired, user deleted): back to the sign-in form, saying why. */
function sessionEnded(): void {
  token = '';
  sessionStorage.removeItem('gadelys.token');
  socket = undefined;
  $<HTMLElement>('#main').hidden = true;
  $<HTMLButtonElement>('#logout').hidden = true;
  $<HTMLFormElement>('#login').hidden = false;
  text($('#login-error'), 'Your session has ended: sign in again.');
}

function connect(): void {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  // Browsers cannot set headers on a WebSocket: the token rides in a subprotocol.
  const ws = new WebSocket(url, ['gadelys', `bearer.${token}`]);
  socket = ws;
  ws.onopen = () => {
    retryMs = 500;
    $('#conn').className = 'conn on';
    text($('#conn'), 'live');
  };
  ws.onmessage = (e) => onFrame(JSON.parse(String(e.data)) as WsServerFrame);
  ws.onclose = (e) => {
    $('#conn').className = 'conn off';
    text($('#conn'), 'offline');
    if (socket !== ws || !token) return;
    if (e.code === 4401) return sessionEnded();
    const retry = () => {
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 15_000);
    };
    // A refused upgrade (a dead token) looks like any lost connection here: ask the API.
    fetch('/api/segments', { headers: { authorization: `Bearer ${token}` } }).then(
      (res) => (res.status === 401 ? sessionEnded() : retry()),
      retry,
    );
  };
}

async function start(): Promise<void> {
  const { lamps, approximate } = await api<{ lamps: Lamp[]; approximate: boolean }>('/api/lamps');
  $<HTMLElement>('#approx').hidden = !approximate;
  buildTable(lamps);
  buildMap(lamps);
  renderSummary();
  $<HTMLFormElement>('#login').hidden = true;
  $<HTMLElement>('#main').hidden = false;
  $<HTMLButtonElement>('#logout').hidden = false;
  connect();
}

$<HTMLFormElement>('#login').addEventListener('submit', (e) => {
  e.preventDefault();
  const form = new FormData(e.target as HTMLFormElement);
  const body = JSON.stringify({ username: form.get('username'), password: form.get('password') });
  fetch('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  })
    .then(async (res) => {
      const json = (await res.json()) as { token?: string; error?: string };
      if (!res.ok || !json.token) throw new Error(json.error ?? `HTTP ${res.status}`);
      token = json.token;
      sessionStorage.setItem('gadelys.token', token);
      await start();
    })
    .catch((err: Error) => text($('#login-error'), err.message));
});

$<HTMLButtonElement>('#logout').addEventListener('click', () => {
  void api('/api/auth/logout', { method: 'POST' }).catch(() => undefined);
  token = '';
  sessionStorage.removeItem('gadelys.token');
  socket?.close();
  location.reload();
});

$<HTMLFormElement>('#command').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = new FormData(e.target as HTMLFormElement);
  const kind = String(f.get('kind'));
  const id = String(f.get('id') ?? '').trim();
  const target: CommandRequest['target'] =
    kind === 'lamp'
      ? { kind: 'lamp', lampId: id }
      : kind === 'segment'
        ? { kind: 'segment', segmentId: id }
        : kind === 'vendor'
          ? { kind: 'vendor', vendorId: id }
          : { kind: 'route' };
  const expiresMin = Number(f.get('expiresMin') || 0);
  const action: CommandRequest['action'] =
    f.get('type') === 'release'
      ? { type: 'release' }
      : {
          type: 'override',
          level: Number(f.get('level')),
          rampMs: Number(f.get('rampMs') || 0),
          ...(expiresMin > 0 ? { expiresAt: Date.now() + expiresMin * 60_000 } : {}),
        };
  socket?.send(
    JSON.stringify({ type: 'command', ref: `form-${Date.now()}`, request: { target, action } }),
  );
});

$<HTMLInputElement>('#filter').addEventListener('input', (e) => {
  const q = (e.target as HTMLInputElement).value.trim().toLowerCase();
  for (const row of rows.values()) {
    const hay = `${row.lamp.id} ${row.lamp.segmentId} ${row.lamp.vendorId}`.toLowerCase();
    row.tr.hidden = q !== '' && !hay.includes(q);
  }
});

if (token) start().catch(() => sessionStorage.removeItem('gadelys.token'));

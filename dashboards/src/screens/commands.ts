/**
 * The command console (operators and admins): pick lamps by clicking them on the map, by a box
 * or a lasso, or by segment, vendor or the whole route; override them (level, ramp, expiry) or
 * release them to their program; then follow each lamp's ack on the map and in a list.
 */
import type { CommandRequest, CommandTarget } from '../../../services/gateway/api.ts';
import type {
  CommandDetailResponse,
  CommandResponse,
  CommandsResponse,
} from '../../../services/gateway/responses.ts';
import { el, field, fmt, setText } from '../app/dom.ts';
import { routeHash } from '../app/router.ts';
import type { ScreenFactory } from '../app/screen.ts';
import { MapView } from '../map/MapView.ts';
import { exposeMap } from '../map/mapHook.ts';
import {
  type RingState,
  ringLegend,
  SelectionLayer,
  type SelectMode,
} from '../map/selectionLayer.ts';
import { stateChip } from '../ui/chips.ts';
import { dataTable } from '../ui/dataTable.ts';
import { errorText } from '../ui/load.ts';
import { radioGroup } from '../ui/radioGroup.ts';
import { dateTime } from '../ui/time.ts';

const POLL_MS = 500;
/** Rows of the per-lamp list; the counts cover every lamp. */
const MAX_ROWS = 500;
const RING_OF: Record<string, RingState> = {
  pending: 'pending',
  acked: 'acked',
  rejected: 'failed',
  timedOut: 'failed',
};

type TargetKind = 'selection' | 'segments' | 'vendor' | 'route';

const screen: ScreenFactory = ({ app, signal }) => {
  const { table } = app.live;
  const selected = new Set<number>();

  // ---- the map and how lamps are picked on it ----
  const map = new MapView({
    table,
    label: 'Map: click a lamp to add or remove it',
    onOpen: (i) => {
      if (selected.has(i)) selected.delete(i);
      else selected.add(i);
      selectionChanged();
    },
    onSelect: (indices) => addAll(indices),
  });
  const layer = new SelectionLayer(
    map,
    () => table.size,
    (indices) => addAll(indices),
  );
  signal.addEventListener('abort', () => {
    layer.destroy();
    map.destroy();
  });
  exposeMap(map, table, signal);
  app.live.changed.subscribe(() => map.invalidate(), signal);

  const modes = radioGroup<SelectMode>(
    'pick-mode',
    'How the mouse picks lamps',
    [
      ['pan', 'Click and pan'],
      ['box', 'Box'],
      ['lasso', 'Lasso'],
    ],
    'pan',
    (m) => layer.setMode(m),
    signal,
  );

  function addAll(indices: number[]): void {
    for (const i of indices) selected.add(i);
    selectionChanged();
    app.announce(`${indices.length} lamps added, ${selected.size} selected`);
  }

  // ---- target ----
  const selCount = el('span', { id: 'selection-count' }, '0 lamps');
  const selList = el('p', { class: 'hint', id: 'selection-list' });
  const clearSel = el('button', { type: 'button', class: 'small' }, 'Clear selection');
  clearSel.addEventListener('click', () => {
    selected.clear();
    selectionChanged();
  });
  const addId = el('input', { name: 'add-lamp', placeholder: 'DOLL-0042', autocomplete: 'off' });
  const addButton = el('button', { type: 'button', class: 'small' }, 'Add');
  addButton.addEventListener('click', () => addById(), { signal });
  const addForm = el('div', { class: 'row' }, field('Add a lamp by id', addId), addButton);
  addId.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      addById();
    }
  });
  function addById(): void {
    const ids = addId.value.split(/[\s,]+/).filter((s) => s !== '');
    const found = ids.map((s) => table.indexOf.get(s)).filter((i): i is number => i !== undefined);
    addAll(found);
    addId.value = found.length === ids.length ? '' : addId.value;
    if (found.length !== ids.length) app.announce('Some of those ids are not lamps you may see');
  }
  const segments = el('select', { name: 'segments', multiple: true, size: 5 });
  const vendor = el('select', { name: 'vendor' });
  function fillChoices(): void {
    if (segments.options.length === table.segments.length) return;
    segments.replaceChildren(...table.segments.map((s) => el('option', { value: s }, s)));
    vendor.replaceChildren(...table.vendors.map((v) => el('option', { value: v }, v)));
  }
  const target = radioGroup<TargetKind>(
    'target',
    'Which lamps',
    [
      ['selection', 'Picked on the map'],
      ['segments', 'Segments'],
      ['vendor', 'A vendor’s lamps'],
      ['route', 'The whole route'],
    ],
    'selection',
    () => showTarget(),
    signal,
  );
  const selectionBox = el('div', {}, el('p', {}, selCount, ' ', clearSel), selList, addForm);
  const segmentsBox = el(
    'div',
    { hidden: true },
    field('Segments', segments, 'Ctrl or Shift to pick several'),
  );
  const vendorBox = el('div', { hidden: true }, field('Vendor', vendor));
  function showTarget(): void {
    const k = target.value();
    selectionBox.hidden = k !== 'selection';
    segmentsBox.hidden = k !== 'segments';
    vendorBox.hidden = k !== 'vendor';
  }

  function selectionChanged(): void {
    map.setSelection(selected);
    const ids = [...selected].map((i) => table.ids[i]!).sort();
    setText(selCount, `${fmt(ids.length)} lamp${ids.length === 1 ? '' : 's'}`);
    setText(
      selList,
      ids.length > 12
        ? `${ids.slice(0, 12).join(', ')} and ${ids.length - 12} more`
        : ids.join(', '),
    );
  }

  // ---- action ----
  const action = radioGroup<'override' | 'release'>(
    'action',
    'Command',
    [
      ['override', 'Override'],
      ['release', 'Release to program'],
    ],
    'override',
    () => {
      overrideBox.hidden = action.value() !== 'override';
    },
    signal,
  );
  const level = el('input', {
    name: 'level',
    type: 'number',
    min: 0,
    max: 100,
    step: 1,
    value: 30,
    required: true,
  });
  const rampS = el('input', { name: 'ramp', type: 'number', min: 0, max: 3600, step: 1, value: 0 });
  const expiresMin = el('input', {
    name: 'expires',
    type: 'number',
    min: 0,
    max: 10_080,
    step: 1,
    value: 60,
  });
  const reason = el('input', { name: 'reason', maxlength: 256, placeholder: 'road works' });
  const overrideBox = el(
    'div',
    {},
    field('Level, %', level),
    field('Ramp, seconds', rampS, 'How long the lamp takes to reach the level'),
    field('Expires after, minutes', expiresMin, '0: until released'),
  );
  const error = el('p', { class: 'error', role: 'alert', id: 'command-error' });
  const send = el('button', { type: 'submit', class: 'primary', id: 'send-command' }, 'Send');

  function request(): CommandRequest | string {
    let t: CommandTarget;
    const kind = target.value();
    if (kind === 'selection') {
      const ids = [...selected].map((i) => table.ids[i]!);
      if (ids.length === 0) return 'Pick at least one lamp on the map.';
      t = ids.length === 1 ? { kind: 'lamp', lampId: ids[0]! } : { kind: 'lamps', lampIds: ids };
    } else if (kind === 'segments') {
      const ids = Array.from(segments.selectedOptions).map((o) => o.value);
      if (ids.length === 0) return 'Pick at least one segment.';
      t =
        ids.length === 1
          ? { kind: 'segment', segmentId: ids[0]! }
          : { kind: 'segments', segmentIds: ids };
    } else if (kind === 'vendor') {
      if (!vendor.value) return 'Pick a vendor.';
      t = { kind: 'vendor', vendorId: vendor.value };
    } else t = { kind: 'route' };
    const why = reason.value.trim() || undefined;
    if (action.value() === 'release')
      return { target: t, action: { type: 'release', reason: why } };
    const lv = Number(level.value);
    if (!Number.isFinite(lv) || lv < 0 || lv > 100) return 'The level is 0 to 100 %.';
    const exp = Number(expiresMin.value);
    return {
      target: t,
      action: {
        type: 'override',
        level: lv,
        rampMs: Math.round(Number(rampS.value || 0) * 1000),
        ...(exp > 0 ? { expiresAt: Date.now() + exp * 60_000 } : {}),
        ...(why ? { reason: why } : {}),
      },
    };
  }

  const form = el(
    'form',
    { class: 'card', id: 'command-form', 'aria-labelledby': 'command-form-title' },
    el('h2', { id: 'command-form-title' }, 'Send a command'),
    target.element,
    selectionBox,
    segmentsBox,
    vendorBox,
    action.element,
    overrideBox,
    field('Reason', reason, 'Kept in the audit log'),
    error,
    send,
  );
  form.addEventListener(
    'submit',
    (e) => {
      e.preventDefault();
      const req = request();
      if (typeof req === 'string') {
        setText(error, req);
        return;
      }
      setText(error, '');
      send.disabled = true;
      app.api
        .post<CommandResponse>('/api/commands', req, signal)
        .then((r) => {
          app.announce(`Command sent to ${r.command.lampCount} lamps`);
          void follow(r.command.commandId);
          void loadRecent();
        })
        .catch((err: unknown) => setText(error, errorText(err)))
        .finally(() => {
          send.disabled = false;
        });
    },
    { signal },
  );

  // ---- following a command ----
  const progress = el('p', { id: 'command-progress', 'aria-live': 'polite' });
  const lampList = el('div', { id: 'command-lamps' });
  let following = '';
  async function follow(commandId: string): Promise<void> {
    following = commandId;
    for (;;) {
      if (signal.aborted || following !== commandId) return;
      let d: CommandDetailResponse;
      try {
        d = await app.api.get<CommandDetailResponse>(
          `/api/commands/${encodeURIComponent(commandId)}`,
          signal,
        );
      } catch (err) {
        if (!signal.aborted) setText(progress, errorText(err));
        return;
      }
      showCommand(d);
      if (d.command.status !== 'pending') return;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
  function showCommand(d: CommandDetailResponse): void {
    const c = d.command;
    const states = new Map<number, RingState>();
    for (const l of d.lamps) {
      const i = table.indexOf.get(l.lampId);
      if (i !== undefined) states.set(i, RING_OF[l.state] ?? 'pending');
    }
    layer.setStates(states);
    progress.dataset.status = c.status;
    setText(
      progress,
      `${c.type === 'override' ? `Override ${c.level ?? ''} %` : c.type} to ${fmt(c.lampCount)} lamps: ${c.status}. ` +
        `${c.counts.acked} acked, ${c.counts.pending} waiting, ${c.counts.rejected} rejected, ${c.counts.timedOut} timed out` +
        (c.rttMs.p50 !== null
          ? `; round trip p50 ${fmt(c.rttMs.p50)} ms, p95 ${fmt(c.rttMs.p95)} ms`
          : ''),
    );
    lampList.replaceChildren(
      dataTable(
        d.lamps.length > MAX_ROWS ? `First ${MAX_ROWS} of ${d.lamps.length} lamps` : 'Each lamp',
        [
          { header: 'Lamp', cell: (l) => el('a', { href: routeHash('lamp', l.lampId) }, l.lampId) },
          { header: 'State', cell: (l) => stateChip(l.state) },
          { header: 'Level', cell: (l) => fmt(l.actualLevel, 0, '%'), numeric: true },
          { header: 'Round trip', cell: (l) => fmt(l.rttMs, 0, 'ms'), numeric: true },
          { header: 'Tries', cell: (l) => l.attempts, numeric: true },
          { header: 'Reason', cell: (l) => l.reason ?? '' },
        ],
        d.lamps.slice(0, MAX_ROWS),
        { rowAttrs: (l) => ({ 'data-lamp': l.lampId, 'data-state': l.state }) },
      ),
    );
  }

  // ---- recent commands ----
  const recent = el('div', { id: 'recent-commands' });
  async function loadRecent(): Promise<void> {
    try {
      const r = await app.api.get<CommandsResponse>('/api/commands?limit=15', signal);
      recent.replaceChildren(
        dataTable(
          'Recent commands',
          [
            { header: 'Issued', cell: (c) => dateTime(c.issuedAt) },
            { header: 'Target', cell: (c) => c.target.kind },
            {
              header: 'Command',
              cell: (c) => (c.type === 'override' ? `override ${c.level ?? ''} %` : c.type),
            },
            { header: 'By', cell: (c) => c.issuedBy },
            { header: 'State', cell: (c) => stateChip(c.status) },
            {
              header: 'Acks',
              cell: (c) => {
                const b = el(
                  'button',
                  { type: 'button', class: 'small' },
                  `${c.counts.acked}/${c.lampCount}`,
                );
                b.setAttribute(
                  'aria-label',
                  `${c.counts.acked}/${c.lampCount} acked: show the command issued ${dateTime(c.issuedAt)}`,
                );
                b.addEventListener('click', () => void follow(c.commandId));
                return b;
              },
            },
          ],
          r.commands,
          { empty: 'No commands yet' },
        ),
      );
    } catch (err) {
      if (!signal.aborted) recent.replaceChildren(el('p', { class: 'error' }, errorText(err)));
    }
  }

  app.live.changed.subscribe(fillChoices, signal);
  fillChoices();
  selectionChanged();
  void loadRecent();

  const element = el(
    'div',
    { class: 'screen commands' },
    el('h1', {}, 'Commands'),
    el(
      'div',
      { class: 'console' },
      el(
        'section',
        { class: 'card map-card', 'aria-label': 'Map for picking lamps' },
        el('div', { class: 'map-toolbar' }, modes.element, ringLegend()),
        map.element,
        el(
          'p',
          { class: 'hint pad' },
          'Box and lasso add to the selection; click a lamp to add or remove it; Shift-drag draws a box in any mode.',
        ),
      ),
      form,
    ),
    el(
      'section',
      { class: 'card', 'aria-labelledby': 'acks-title' },
      el('h2', { id: 'acks-title' }, 'Acknowledgements'),
      progress,
      lampList,
    ),
    el(
      'section',
      { class: 'card', 'aria-labelledby': 'recent-title' },
      el('h2', { id: 'recent-title' }, 'Recent'),
      recent,
    ),
  );
  return { element, title: 'Commands' };
};
export default screen;

/**
 * Replay (`#/replay?night=YYYY-MM-DD&t=<ms>`): a past night from an hour before sunset to an
 * hour after sunrise, streamed from `/api/replay` and played on the map at 1x, 10x or 60x with a
 * time slider, the route's power over the night charted under it with a cursor at the time shown.
 */
import { ALBERTSLUND, addDays, localParts, sunEvent } from '../../../shared/programs/index.ts';
import { ApiError } from '../app/api.ts';
import { el, field, fmt, setText } from '../app/dom.ts';
import { type Route, routeHash } from '../app/router.ts';
import type { ScreenFactory } from '../app/screen.ts';
import { storedToken } from '../app/session.ts';
import { frameScheduler } from '../app/store.ts';
import { TimeChart } from '../charts/timeChart.ts';
import { legend } from '../map/legend.ts';
import { MapView } from '../map/MapView.ts';
import { exposeMap } from '../map/mapHook.ts';
import { lineSplitter, ReplayDecoder } from '../replay/decoder.ts';
import { frameAt, positionsOf, replayTableOf, showFrame } from '../replay/replayTable.ts';
import { errorText } from '../ui/load.ts';
import { radioGroup } from '../ui/radioGroup.ts';
import { isNight, nightOf, previousNight } from '../ui/time.ts';

const SPEEDS = ['1', '10', '60'] as const;
type Speed = (typeof SPEEDS)[number];
/** Most lamp values a replay holds in the page (frames x lamps), which sets the step. */
const VALUE_BUDGET = 3_000_000;
const MIN_STEP_MS = 10_000;
const HOUR = 3_600_000;

/** The replayed window of a night: an hour before sunset to an hour after sunrise. */
export function replayWindow(night: string): { from: number; to: number } {
  const [year, month, day] = night.split('-').map(Number) as [number, number, number];
  const d = { year, month, day };
  const noon = Date.parse(`${night}T12:00:00Z`);
  const sunset = sunEvent('sunset', d) ?? noon + 6 * HOUR;
  const sunrise = sunEvent('sunrise', addDays(d, 1)) ?? noon + 18 * HOUR;
  return { from: sunset - HOUR, to: sunrise + HOUR };
}

export function replayStep(windowMs: number, lamps: number): number {
  const need = (windowMs * Math.max(1, lamps)) / VALUE_BUDGET;
  return Math.max(MIN_STEP_MS, Math.ceil(need / MIN_STEP_MS) * MIN_STEP_MS);
}

const kW = (watts: readonly number[]) => watts.map((w) => (Number.isNaN(w) ? null : w / 1000));

const clockOf = (ms: number) => {
  const p = localParts(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}`;
};

const screen: ScreenFactory = ({ app, route, signal }) => {
  const live = app.live.table;
  const table = replayTableOf(live);
  const map = new MapView({
    table,
    label: 'Map of the route at the replayed time',
    onOpen: (i) => app.navigate(routeHash('lamp', table.ids[i] ?? '')),
  });
  exposeMap(map, table, signal);
  const chart = new TimeChart({
    title: 'The route’s power over the night',
    series: [{ label: 'Route power', unit: 'kW', colour: '#0b63c5', digits: 2 }],
    height: 180,
    timeZone: ALBERTSLUND.timeZone,
    markers: () => (data ? [{ x: current, label: '', colour: '#b3261e' }] : []),
  });
  chart.element.id = 'replay-power';

  // ---- controls ----
  const nightInput = el('input', {
    type: 'date',
    name: 'night',
    required: true,
    max: nightOf(Date.now()),
  });
  const load = el('button', { type: 'submit' }, 'Load');
  const nightForm = el('form', { class: 'row' }, field('Night of', nightInput), load);
  const play = el(
    'button',
    { type: 'button', class: 'primary', id: 'replay-play', disabled: true },
    'Play',
  );
  const speed = radioGroup<Speed>(
    'speed',
    'Speed',
    SPEEDS.map((s) => [s, `${s}×`] as const),
    '60',
    () => undefined,
    signal,
  );
  const slider = el('input', {
    type: 'range',
    name: 'time',
    id: 'replay-time',
    min: 0,
    max: 1,
    step: 1,
    value: 0,
    disabled: true,
  });
  const clock = el('output', { class: 'clock', id: 'replay-clock', for: 'replay-time' }, '–');
  const status = el('p', { class: 'hint', id: 'replay-status', 'aria-live': 'polite' });
  const section = el('section', {
    class: 'card map-card',
    'aria-label': 'Replayed map',
    'data-state': 'idle',
  });

  let night = '';
  let data: ReplayDecoder['data'] | undefined;
  let positions: Int32Array = new Int32Array(0);
  let current = 0;
  let playing = false;
  let loading: AbortController | undefined;
  let lastTick = 0;
  let shownFrame = -1;

  const paint = frameScheduler(() => {
    if (!data) return;
    const k = frameAt(data.t, current);
    if (k !== shownFrame) {
      if (positions.length !== data.lampIds.length) positions = positionsOf(table, data.lampIds);
      showFrame(table, data, k, positions);
      shownFrame = k;
      map.invalidate();
      section.dataset.frame = String(k);
    }
    slider.value = String(current);
    const text = clockOf(current);
    setText(clock, text);
    slider.setAttribute('aria-valuetext', text);
    section.dataset.t = String(Math.round(current));
    chart.redraw();
  });

  function seek(t: number): void {
    if (!data) return;
    current = Math.min(data.to, Math.max(data.from, t));
    paint.request();
  }

  function tick(now: number): void {
    if (!playing || !data || signal.aborted) return;
    const dt = lastTick ? now - lastTick : 0;
    lastTick = now;
    const loadedUntil = (data.t[data.t.length - 1] ?? data.from) + data.stepMs;
    const next = current + dt * Number(speed.value());
    // play what has arrived; wait at the edge while the rest streams in
    seek(Math.min(next, data.done ? data.to : loadedUntil));
    if (current >= data.to) {
      pause();
      return;
    }
    requestAnimationFrame(tick);
  }

  function start(): void {
    if (!data || playing) return;
    if (current >= data.to) current = data.from;
    playing = true;
    lastTick = 0;
    setText(play, 'Pause');
    play.setAttribute('aria-pressed', 'true');
    requestAnimationFrame(tick);
  }

  function stop(): void {
    playing = false;
    setText(play, 'Play');
    play.setAttribute('aria-pressed', 'false');
  }

  function pause(): void {
    stop();
    remember();
  }

  /** The deep link follows the time shown (not on every frame while playing). */
  function remember(): void {
    if (!night) return;
    app.navigate(routeHash('replay', { night, t: String(Math.round(current)) }), { replace: true });
  }

  play.addEventListener('click', () => (playing ? pause() : start()), { signal });
  slider.addEventListener('input', () => seek(Number(slider.value)), { signal });
  slider.addEventListener('change', () => remember(), { signal });
  nightForm.addEventListener(
    'submit',
    (e) => {
      e.preventDefault();
      if (isNight(nightInput.value)) app.navigate(routeHash('replay', { night: nightInput.value }));
    },
    { signal },
  );

  async function open(n: string, t: number | undefined): Promise<void> {
    loading?.abort();
    const abort = new AbortController();
    loading = abort;
    signal.addEventListener('abort', () => abort.abort(), { once: true });
    stop();
    night = n;
    nightInput.value = n;
    const w = replayWindow(n);
    const stepMs = replayStep(w.to - w.from, live.size);
    const decoder = new ReplayDecoder();
    data = decoder.data;
    positions = new Int32Array(0);
    shownFrame = -1;
    current = t !== undefined && t >= w.from && t <= w.to ? t : w.from;
    Object.assign(slider, {
      min: String(w.from),
      max: String(w.to),
      step: String(stepMs),
      disabled: false,
    });
    play.disabled = true;
    section.dataset.state = 'loading';
    setText(status, `Loading the night of ${n}…`);
    const params = new URLSearchParams({
      from: String(w.from),
      to: String(w.to),
      stepMs: String(stepMs),
    });
    try {
      const res = await fetch(`/api/replay?${params}`, {
        headers: { authorization: `Bearer ${storedToken()}` },
        signal: abort.signal,
      });
      if (!res.ok || !res.body) {
        const body = (await res.json().catch(() => ({}))) as { error?: string };
        throw new ApiError(res.status, body.error ?? `HTTP ${res.status}`);
      }
      const split = lineSplitter((line) => decoder.push(line));
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let first = true;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        split.push(value);
        const d = decoder.data;
        if (d.t.length > 0) {
          chart.setData([d.t, kW(d.routePower)], [w.from, w.to]);
          if (first) {
            first = false;
            play.disabled = false;
            paint.request();
          }
        }
        setText(status, `${fmt(d.t.length)} steps of ${fmt(stepMs / 1000)} s loaded`);
      }
      split.end();
      const d = decoder.data;
      chart.setData([d.t, kW(d.routePower)], [w.from, w.to]);
      const any = d.level.some((frame) => frame.some((v) => !Number.isNaN(v)));
      section.dataset.state = any ? 'ready' : 'empty';
      setText(
        status,
        any
          ? `${fmt(d.t.length)} steps of ${fmt(stepMs / 1000)} s, ${fmt(d.lampIds.length)} lamps, ${clockOf(w.from)} to ${clockOf(w.to)} (Albertslund time)`
          : `No readings are stored for the night of ${n}.`,
      );
      play.disabled = !any;
      paint.request();
    } catch (err) {
      if (abort.signal.aborted) return;
      section.dataset.state = 'error';
      setText(status, `Replay unavailable: ${errorText(err)}`);
    }
  }

  function fromRoute(r: Route): void {
    const q = r.query.get('night');
    const n = isNight(q) ? q : previousNight(nightOf(Date.now()));
    const t = Number(r.query.get('t'));
    const at = Number.isFinite(t) && t > 0 ? t : undefined;
    if (n === night && data) {
      if (at !== undefined && Math.abs(at - current) > 1) seek(at);
      return;
    }
    void open(n, at);
  }

  signal.addEventListener('abort', () => {
    playing = false;
    loading?.abort();
    paint.cancel();
    map.destroy();
    chart.destroy();
  });

  section.append(
    el(
      'div',
      { class: 'replay-controls' },
      play,
      speed.element,
      el('label', { for: 'replay-time' }, 'Time'),
      slider,
      clock,
    ),
    map.element,
    legend(),
  );
  fromRoute(route);
  const element = el(
    'div',
    { class: 'screen replay' },
    el('div', { class: 'screen-head' }, el('h1', {}, 'Replay'), nightForm),
    status,
    section,
    el('section', { class: 'card', 'aria-label': 'Route power' }, chart.element),
  );
  return { element, title: 'Replay', update: fromRoute };
};
export default screen;

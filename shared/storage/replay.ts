/**
 * Replay: every lamp's level, power and state at each step of a window, for the map to play a
 * night back. Built on `partials` (the last reading of each step, from raw or rollups as
 * `planPieces` allows) and the status history; produced chunk by chunk, so a night at 10 s
 * (4,320 steps of 280 lamps) is never held whole. `replayNdjson` turns frames into the
 * gateway's streamed format (documented in docs/storage.md).
 */
import { z } from 'zod';
import { Id } from '../contract/common.ts';
import type { PartialsQuery, ReplayFrame, Store } from './port.ts';
import type { ValidReplay } from './queries.ts';
import { bucketStart, QUERY_LIMITS } from './queries.ts';
import { planPieces } from './rollup.ts';
import { statColumn } from './schema.ts';

const LEVEL = statColumn('actualLevel', 'last');
const POWER = statColumn('activePower', 'last');

/** Steps read from the store at once. */
export const REPLAY_CHUNK_STEPS = 360;

type Reads = Pick<Store, 'partials' | 'rollupState' | 'statusChanges'>;

/**
 * The last level and power of each lamp in each step of one piece, as parallel columns (step
 * start `t`; null: the lamp had no such reading in that step).
 */
export interface StepLasts {
  lampId: readonly string[];
  t: readonly number[];
  level: readonly (number | null)[];
  power: readonly (number | null)[];
}

/** Reads a piece's step lasts: `partials` by default; an adapter may answer it more directly. */
export type StepLastsReader = (
  query: Omit<PartialsQuery, 'fields' | 'stats' | 'count'> & { bucketMs: number },
) => Promise<StepLasts>;

/** StepLasts from the port's aggregate read (rows of `<field>_last`). */
export const partialsStepLasts =
  (store: Pick<Store, 'partials'>): StepLastsReader =>
  async (query) => {
    const rows = await store.partials({
      ...query,
      fields: ['actualLevel', 'activePower'],
      stats: ['last'],
    });
    const num = (x: unknown) => (typeof x === 'number' ? x : null);
    return {
      lampId: rows.map((r) => r.lampId),
      t: rows.map((r) => r.ts),
      level: rows.map((r) => num(r[LEVEL])),
      power: rows.map((r) => num(r[POWER])),
    };
  };

export async function* replayFrames(
  store: Reads,
  v: ValidReplay,
  chunkSteps = REPLAY_CHUNK_STEPS,
  readLasts: StepLastsReader = partialsStepLasts(store),
): AsyncGenerator<ReplayFrame[]> {
  const { from: _f, to: _t, stepMs: _s, ...lampFilter } = v;
  const state = await store.rollupState();
  const status = await store.statusChanges({
    ...lampFilter,
    from: v.from,
    to: v.to,
    limit: QUERY_LIMITS.maxRows,
  });
  let change = 0;
  let first = true;
  const start = bucketStart(v.from, v.stepMs);
  for (let cs = start; cs < v.to; cs += chunkSteps * v.stepMs) {
    const ce = Math.min(v.to, cs + chunkSteps * v.stepMs);
    const frames: ReplayFrame[] = [];
    for (let t = cs; t < ce; t += v.stepMs) frames.push({ t, level: {}, power: {}, state: {} });
    // Pieces come in time order: a later piece's last reading of a step replaces an earlier's.
    for (const p of planPieces(Math.max(cs, v.from), ce, state, v.stepMs)) {
      const c = await readLasts({
        ...lampFilter,
        source: p.source,
        from: p.from,
        to: p.to,
        bucketMs: v.stepMs,
      });
      for (let i = 0; i < c.t.length; i++) {
        const frame = frames[((c.t[i] as number) - cs) / v.stepMs];
        if (!frame) continue;
        const lampId = c.lampId[i] as string;
        const level = c.level[i];
        const power = c.power[i];
        if (typeof level === 'number') frame.level[lampId] = level;
        if (typeof power === 'number') frame.power[lampId] = power;
      }
    }
    const head = frames[0];
    if (first && head) {
      for (const s of status.initial) head.state[s.lampId] = s.state;
      first = false;
    }
    for (const frame of frames) {
      for (; change < status.changes.length; change++) {
        const c = status.changes[change];
        if (!c || c.ts >= frame.t + v.stepMs) break;
        frame.state[c.lampId] = c.state;
      }
    }
    yield frames;
  }
}

/** One line of the streamed replay (see `replayNdjson`); the web app parses lines with it. */
export const ReplayLine = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('replay'),
    from: z.number().int(),
    to: z.number().int(),
    stepMs: z.number().int(),
    fields: z.array(z.enum(['level', 'power'])),
  }),
  z.strictObject({ type: z.literal('lamps'), add: z.array(Id) }),
  z.strictObject({
    type: z.literal('frame'),
    t: z.number().int(),
    level: z.array(z.number().nullable()),
    power: z.array(z.number().nullable()),
    state: z.record(z.string().regex(/^\d+$/), z.enum(['online', 'offline'])),
  }),
  z.strictObject({ type: z.literal('end'), frames: z.number().int() }),
]);
export type ReplayLine = z.infer<typeof ReplayLine>;

/**
 * The streamed replay format, one JSON object a line (NDJSON):
 * - `{"type":"replay","from","to","stepMs","fields":["level","power"]}` first;
 * - `{"type":"lamps","add":[...]}` before a frame that needs lamps not named yet: the lamp
 *   index grows, never changes (lamp i is the i-th id added);
 * - `{"type":"frame","t","level":[...],"power":[...],"state":{"<index>":"online"}}` per step,
 *   arrays by lamp index (null: no reading in the step; hold the previous value), `state` only
 *   where it changed (the first frame carries each lamp's state at `from`);
 * - `{"type":"end","frames":n}` last.
 */
export async function* replayNdjson(
  v: Pick<ValidReplay, 'from' | 'to' | 'stepMs'>,
  chunks: AsyncIterable<ReplayFrame[]>,
): AsyncGenerator<string> {
  yield `${JSON.stringify({ type: 'replay', from: v.from, to: v.to, stepMs: v.stepMs, fields: ['level', 'power'] })}\n`;
  const index = new Map<string, number>();
  let frames = 0;
  for await (const chunk of chunks) {
    const add: string[] = [];
    for (const f of chunk)
      for (const id of [...Object.keys(f.level), ...Object.keys(f.power), ...Object.keys(f.state)])
        if (!index.has(id)) {
          index.set(id, index.size);
          add.push(id);
        }
    let out = add.length > 0 ? `${JSON.stringify({ type: 'lamps', add })}\n` : '';
    for (const f of chunk) {
      const level: (number | null)[] = new Array(index.size).fill(null);
      const power: (number | null)[] = new Array(index.size).fill(null);
      const state: Record<string, string> = {};
      for (const [id, x] of Object.entries(f.level)) level[index.get(id) as number] = x;
      for (const [id, x] of Object.entries(f.power)) power[index.get(id) as number] = x;
      for (const [id, x] of Object.entries(f.state)) state[String(index.get(id))] = x;
      out += `${JSON.stringify({ type: 'frame', t: f.t, level, power, state })}\n`;
      frames++;
    }
    yield out;
  }
  yield `${JSON.stringify({ type: 'end', frames })}\n`;
}

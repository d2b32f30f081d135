/**
 * The gateway's streamed replay (`/api/replay`, NDJSON, shared/storage/replay.ts) decoded into
 * complete frames: the stream sends null for "no reading in this step, hold the previous value"
 * and only the states that changed, so each frame is filled forward from the one before and any
 * frame can be shown on its own (seeking is one copy, not a scan). Every line is checked before
 * it is used; a bad one stops the decode with the failing path. Pure: no I/O.
 */

export const ONLINE = 1;
export const OFFLINE = 2;

export interface ReplayData {
  from: number;
  to: number;
  stepMs: number;
  /** Lamp i of every frame's arrays. */
  lampIds: string[];
  t: number[];
  /** Per frame, by lamp: level %, power W (NaN: nothing known yet), state (0 unknown, 1, 2). */
  level: Float32Array[];
  power: Float32Array[];
  state: Uint8Array[];
  /** The sum of every lamp's power per frame, W (NaN before any lamp has reported). */
  routePower: number[];
  done: boolean;
}

export class ReplayLineError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const ID = /^[A-Za-z0-9._-]{1,64}$/;

function numbers(v: unknown, path: string, max: number): (number | null)[] {
  if (!Array.isArray(v)) throw new ReplayLineError(path, 'expected an array');
  if (v.length > max)
    throw new ReplayLineError(path, `more entries (${v.length}) than lamps (${max})`);
  for (const [i, x] of v.entries()) {
    if (x !== null && !(typeof x === 'number' && Number.isFinite(x)))
      throw new ReplayLineError(`${path}.${i}`, 'expected a number or null');
  }
  return v as (number | null)[];
}

export class ReplayDecoder {
  readonly data: ReplayData = {
    from: 0,
    to: 0,
    stepMs: 0,
    lampIds: [],
    t: [],
    level: [],
    power: [],
    state: [],
    routePower: [],
    done: false,
  };
  private started = false;
  private line = 0;
  private level = new Float32Array(0);
  private power = new Float32Array(0);
  private state = new Uint8Array(0);

  /** One line of the stream (without its newline); blank lines are skipped. */
  push(text: string): void {
    this.line += 1;
    if (text.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new ReplayLineError(`line ${this.line}`, 'not JSON');
    }
    const at = `line ${this.line}`;
    if (!isObj(v)) throw new ReplayLineError(at, 'expected an object');
    if (!this.started && v.type !== 'replay')
      throw new ReplayLineError(`${at}.type`, 'the stream starts with "replay"');
    switch (v.type) {
      case 'replay':
        if (!isInt(v.from) || !isInt(v.to) || !isInt(v.stepMs) || v.stepMs <= 0)
          throw new ReplayLineError(at, 'from, to and stepMs are integers');
        Object.assign(this.data, { from: v.from, to: v.to, stepMs: v.stepMs });
        this.started = true;
        return;
      case 'lamps': {
        if (!Array.isArray(v.add)) throw new ReplayLineError(`${at}.add`, 'expected an array');
        for (const [i, id] of v.add.entries()) {
          if (typeof id !== 'string' || !ID.test(id))
            throw new ReplayLineError(`${at}.add.${i}`, 'not a lamp id');
        }
        this.data.lampIds.push(...(v.add as string[]));
        this.grow(this.data.lampIds.length);
        return;
      }
      case 'frame':
        this.frame(v, at);
        return;
      case 'end':
        this.data.done = true;
        return;
      default:
        throw new ReplayLineError(`${at}.type`, `unknown line type ${String(v.type)}`);
    }
  }

  private grow(n: number): void {
    const grow32 = (a: Float32Array) => {
      const b = new Float32Array(n).fill(Number.NaN);
      b.set(a);
      return b;
    };
    this.level = grow32(this.level);
    this.power = grow32(this.power);
    const s = new Uint8Array(n);
    s.set(this.state);
    this.state = s;
  }

  private frame(v: Record<string, unknown>, at: string): void {
    if (!isInt(v.t)) throw new ReplayLineError(`${at}.t`, 'expected an integer');
    const n = this.data.lampIds.length;
    const level = numbers(v.level, `${at}.level`, n);
    const power = numbers(v.power, `${at}.power`, n);
    if (!isObj(v.state)) throw new ReplayLineError(`${at}.state`, 'expected an object');
    for (const [k, s] of Object.entries(v.state)) {
      const i = Number(k);
      if (!/^\d+$/.test(k) || i >= n)
        throw new ReplayLineError(`${at}.state.${k}`, 'not a lamp index');
      if (s !== 'online' && s !== 'offline')
        throw new ReplayLineError(`${at}.state.${k}`, 'online or offline');
      this.state[i] = s === 'online' ? ONLINE : OFFLINE;
    }
    let sum = 0;
    let known = 0;
    for (let i = 0; i < n; i++) {
      const l = level[i];
      const p = power[i];
      if (l !== null && l !== undefined) this.level[i] = l;
      if (p !== null && p !== undefined) this.power[i] = p;
      const w = this.power[i]!;
      if (Number.isNaN(w)) continue;
      known += 1;
      if (this.state[i] !== OFFLINE) sum += w;
    }
    const d = this.data;
    d.t.push(v.t);
    d.level.push(this.level.slice());
    d.power.push(this.power.slice());
    d.state.push(this.state.slice());
    d.routePower.push(known > 0 ? sum : Number.NaN);
  }
}

/** Split a text stream into lines, carrying a partial line over to the next chunk. */
export function lineSplitter(onLine: (line: string) => void): {
  push(chunk: string): void;
  end(): void;
} {
  let rest = '';
  return {
    push(chunk) {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) onLine(p);
    },
    end() {
      if (rest !== '') onLine(rest);
      rest = '';
    },
  };
}

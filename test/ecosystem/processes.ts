/**
 * Child processes for the ecosystem tests: a service started the way an image or a user starts
 * it (its real entry point, its own process), its output kept, lines waited for, and a stop by
 * PID (SIGTERM, then SIGKILL).
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface Started {
  readonly child: ChildProcess;
  output(): string;
  /** The first match of `pattern` in the output; rejects when the process exits or time is up. */
  waitFor(pattern: RegExp, what: string, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

export function startProcess(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string | undefined> },
): Started {
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    // Enough for every banner and the last errors, bounded for chatty processes.
    out = (out + d.toString()).slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    output: () => out,
    async waitFor(pattern, what, timeoutMs = 60_000) {
      // Bounded polling: the output grows in chunks, so check it every 50 ms.
      for (let waited = 0; waited <= timeoutMs; waited += 50) {
        const m = out.match(pattern);
        if (m) return m;
        if (exited()) throw new Error(`${cmd} exited before ${what}:\n${out.slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`gave up waiting for ${what}:\n${out.slice(-4000)}`);
    },
    async stop() {
      if (exited()) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Poll `check` every `everyMs` until it returns a value; bounded by `tries`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  tries = 100,
  everyMs = 200,
): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

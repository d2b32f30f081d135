/**
 * Child processes for the ecosystem tests: a service started the way an image or a user starts
 * it (its real entry point, its own process), its output kept, lines waited for, and a stop by
 * PID (SIGTERM, then SIGKILL).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { eventually, GiveUp } from '../helpers/eventually.ts';

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
    waitFor(pattern, what, timeoutMs = 60_000) {
      // The output grows in chunks: look at it every 50 ms.
      return eventually(
        what,
        () => {
          const m = out.match(pattern);
          if (!m && exited())
            throw new GiveUp(`${cmd} exited before ${what}:\n${out.slice(-4000)}`);
          return m;
        },
        { timeoutMs, intervalMs: 50, detail: () => out.slice(-4000) },
      );
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

import type { Logger } from './log.ts';

/** What every started service hands back to whoever started it (its main.ts or the lab). */
export interface RunningService {
  readonly name: string;
  /** Where people and other services reach it, for the start-up banner. */
  readonly endpoints: readonly { label: string; url: string }[];
  /** Stop accepting work, flush, close. Resolves when everything is closed. */
  stop(): Promise<void>;
}

/**
 * Stop services in reverse start order on SIGINT or SIGTERM. Resolves with the exit code the
 * caller (a main.ts) should exit with: 0 when everything stopped cleanly.
 */
export function stopOnSignal(services: readonly RunningService[], log: Logger): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      let code = 0;
      for (const s of [...services].reverse()) {
        try {
          await s.stop();
          log.info({ component: s.name }, 'stopped');
        } catch (err) {
          code = 1;
          log.error({ err, component: s.name }, 'stop failed');
        }
      }
      resolve(code);
    };
    // One Ctrl-C can arrive twice: the terminal signals the whole process group, and a parent
    // such as tsx or npm passes its own copy on. With `once`, the second copy would end the
    // process halfway through the flush. So repeats are counted: the flush goes on, and only a
    // deliberate third signal (Ctrl-C again) gives up on it.
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals === 1) void stop(signal);
      else if (signals === 3) {
        log.warn({ signal }, 'stopping at once; what was not flushed stays in the spool');
        resolve(130);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** The start-up banner: one line per endpoint. */
export function banner(title: string, services: readonly RunningService[]): string {
  const rows = services.flatMap((s) =>
    s.endpoints.map((e) => [`${s.name} ${e.label}`, e.url] as const),
  );
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  return [title, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n');
}

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
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
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

import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * The one logger: JSON lines on stdout, namespaced per service. Debug calls are cheap when the
 * level is off (pino checks the level before formatting).
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: service, level, base: { service } });
}

/** A logger that drops everything, for tests and library defaults. */
export const silentLogger: Logger = pino({ level: 'silent' });

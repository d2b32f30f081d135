import { z } from 'zod';

/** Thrown by loadConfig; `problems` names every bad variable, one line each. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(
      `${service}: invalid configuration\n  ${problems.join('\n  ')}\nSee .env.example for every variable.`,
    );
    this.name = 'ConfigError';
  }
}

/** An unset or empty variable takes the default. */
const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);

export const env = {
  /** A TCP port; 0 lets the OS choose (tests). */
  port: (fallback: number) =>
    z.preprocess(unsetIfEmpty, z.coerce.number().int().min(0).max(65_535).default(fallback)),
  int: (fallback: number, min: number, max: number) =>
    z.preprocess(unsetIfEmpty, z.coerce.number().int().min(min).max(max).default(fallback)),
  number: (fallback: number, min: number, max: number) =>
    z.preprocess(unsetIfEmpty, z.coerce.number().min(min).max(max).default(fallback)),
  bool: (fallback: boolean) =>
    z.preprocess(
      unsetIfEmpty,
      z
        .enum(['true', 'false', '1', '0', 'yes', 'no'])
        .default(fallback ? 'true' : 'false')
        .transform((v) => v === 'true' || v === '1' || v === 'yes'),
    ),
  string: (fallback: string) => z.preprocess(unsetIfEmpty, z.string().default(fallback)),
  optionalString: () => z.preprocess(unsetIfEmpty, z.string().optional()),
  url: (fallback: string) => z.preprocess(unsetIfEmpty, z.url().default(fallback)),
  optionalUrl: () => z.preprocess(unsetIfEmpty, z.url().optional()),
  oneOf: <T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
    z.preprocess(unsetIfEmpty, z.enum(values).default(fallback as never)),
  logLevel: () =>
    z.preprocess(
      unsetIfEmpty,
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ),
};

/**
 * Parse a service's environment once at start-up. Every bad variable is listed in one error,
 * before the service connects to anything.
 */
export function loadConfig<S extends z.ZodObject>(
  service: string,
  schema: S,
  source: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) picked[key] = source[key];
  const result = schema.safeParse(picked);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const key = String(i.path[0] ?? '(env)');
    const value = source[key];
    const shown = value === undefined ? 'unset' : JSON.stringify(value.slice(0, 60));
    return `${key}=${shown}: ${i.message}`;
  });
  throw new ConfigError(service, problems);
}

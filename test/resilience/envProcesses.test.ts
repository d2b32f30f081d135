/**
 * Bad environment variables at the real entry points: each service's `main.ts` (and the lab's)
 * started as its own process with generated bad values. Every one must stop before connecting
 * to anything, exit 1, and print the variable, its value and why, never a stack trace. The
 * loaders' own properties (boundaries.test.ts) run in-process; this is the process around them.
 * The main test command starts the lab once; RESILIENCE_SCALE=full each entry point four times.
 */
import { execFile } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBrokerConfig } from '../../services/broker/config.ts';
import { loadGatewayConfig, loadGatewayStoreConfig } from '../../services/gateway/config.ts';
import { ENV_SCHEMAS } from '../../services/lab/envSchemas.ts';
import { loadLabConfigs } from '../../services/lab/lab.ts';
import { loadProcessorConfig } from '../../services/processor/config.ts';
import { ConfigError } from '../../shared/config.ts';
import { loadSimulatorConfig } from '../../simulator/config.ts';
import { FULL, runs, SEED, timeoutMs } from './fuzz.ts';
import { recordCounts } from './report.ts';

type Env = Record<string, string>;
/** Each entry point, the variables it reads, and the loaders it runs first. */
const MAINS: { main: string; schemas: string[]; load: (env: Env) => void }[] = [
  { main: 'services/broker/main.ts', schemas: ['broker'], load: loadBrokerConfig },
  { main: 'services/processor/main.ts', schemas: ['processor'], load: loadProcessorConfig },
  {
    main: 'services/gateway/main.ts',
    schemas: ['gateway', 'store'],
    load: (env) => {
      loadGatewayConfig(env);
      loadGatewayStoreConfig(env);
    },
  },
  { main: 'simulator/main.ts', schemas: ['simulator'], load: loadSimulatorConfig },
  {
    main: 'services/lab/main.ts',
    schemas: ['lab', 'broker', 'processor', 'gateway', 'simulator'],
    load: loadLabConfigs,
  },
];

const BAD = fc.oneof(
  fc.constantFrom('-1', '65536', 'NaN', '1e400', 'maybe', 'http//x', ' ', '0x10', '1.5.2'),
  fc.string({ minLength: 1, maxLength: 12 }),
);

/** The problems the loaders name for `env`, or undefined when they accept it. */
function problemsOf(load: (env: Env) => void, env: Env): string[] | undefined {
  try {
    load(env);
    return undefined;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems;
  }
}

function run(main: string, env: Env) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', main],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, out: `${stdout}${stderr}` });
      },
    );
  });
}

let attempts = 0;
let refused = 0;
afterAll(async () => {
  await recordCounts('bad input: environment at every entry point (processes)', {
    attempts,
    refused,
    lost: 0,
    duplicated: 0,
  });
});

describe('bad environment variables at each entry point', () => {
  // A process start costs seconds (tsx): the main command tries the lab, whose loaders are every
  // service's; the full run tries each entry point four times.
  for (const { main, schemas, load } of FULL
    ? MAINS
    : MAINS.filter((m) => m.main.includes('lab'))) {
    it(
      `${main}: exits 1 naming each bad variable, without a stack trace`,
      async () => {
        const keys = [...new Set(schemas.flatMap((s) => Object.keys(ENV_SCHEMAS[s]!.shape)))];
        const candidates = fc.sample(
          fc.dictionary(fc.constantFrom(...keys), BAD, { minKeys: 1, maxKeys: 3 }),
          {
            seed: SEED + main.length,
            numRuns: 200,
          },
        );
        // Only environments the loaders refuse: an accepted one would start the service.
        const bad = candidates
          .map((env) => ({ env, problems: problemsOf(load, env) }))
          .filter((c): c is { env: Env; problems: string[] } => c.problems !== undefined)
          .slice(0, runs(1, 4));
        expect(bad.length).toBeGreaterThan(0);
        for (const { env, problems } of bad) {
          const r = await run(main, env);
          attempts++;
          const what = `${main} ${JSON.stringify(env)}:\n${r.out}`;
          expect(r.code, what).toBe(1);
          expect(r.out, what).toContain('invalid configuration');
          for (const p of problems) expect(r.out, what).toContain(p.split(':')[0]!);
          expect(r.out, what).not.toMatch(/\n\s+at |node:internal|\.ts:\d+:\d+/);
          refused++;
        }
      },
      timeoutMs(120_000),
    );
  }
});

/**
 * docker-compose.yml as Debian's docker-compose 1.29 resolves it (`docker-compose config`, no
 * engine needed), with the variables of an env file (deploy/compose.env.example by default).
 */
import { execFileSync } from 'node:child_process';
import { parse } from 'yaml';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const EXAMPLE_ENV = `${ROOT}deploy/compose.env.example`;

export interface ComposeService {
  image?: string;
  build?: { context: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string; disable?: boolean };
  volumes?: string[];
  profiles?: string[];
  ports?: unknown[];
}
export interface ComposeConfig {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** Run docker-compose with only PATH from our environment, so nothing else leaks in. */
export function compose(args: string[], envFile = EXAMPLE_ENV): string {
  return execFileSync('docker-compose', ['--env-file', envFile, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
    stdio: 'pipe',
  });
}

export const composeConfig = (envFile = EXAMPLE_ENV): ComposeConfig =>
  parse(compose(['config'], envFile)) as ComposeConfig;

/** A volume entry `source:target[:mode]` split; `named` when the source is a named volume. */
export function mount(entry: string): { source: string; target: string; named: boolean } {
  const [source = '', target = ''] = entry.split(':');
  return { source, target, named: !source.startsWith('/') && !source.startsWith('.') };
}

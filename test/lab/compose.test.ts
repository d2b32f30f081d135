import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_SCHEMAS } from '../../services/lab/envSchemas.ts';

const root = new URL('../..', import.meta.url).pathname;

describe('docker-compose.yml', () => {
  const config = () =>
    execFileSync('docker-compose', ['config'], {
      cwd: root,
      env: { PATH: process.env.PATH, LAB_SECRET: 'test-secret' },
      encoding: 'utf8',
    });

  it('is valid for docker-compose (checked without an engine)', () => {
    expect(config()).toContain('services:');
  });

  it('refuses to start without LAB_SECRET', () => {
    expect(() =>
      execFileSync('docker-compose', ['config', '-q'], {
        cwd: root,
        env: { PATH: process.env.PATH },
        stdio: 'pipe',
      }),
    ).toThrow(/LAB_SECRET/);
  });

  it('starts entry points that exist, with variables the services read', () => {
    const doc = parse(config()) as {
      services: Record<string, { command?: string[]; environment?: Record<string, string> }>;
    };
    const known = new Set(Object.values(ENV_SCHEMAS).flatMap((s) => Object.keys(s.shape)));
    const ours = Object.entries(doc.services).filter(([name]) => name !== 'influxdb');
    expect(ours.map(([n]) => n).sort()).toEqual(['broker', 'gateway', 'processor', 'simulator']);
    for (const [name, service] of ours) {
      const entry = service.command?.at(-1) ?? '';
      expect(existsSync(`${root}${entry}`), `${name}: ${entry}`).toBe(true);
      for (const key of Object.keys(service.environment ?? {}))
        expect(known.has(key), `${name}: ${key}`).toBe(true);
    }
  });
});

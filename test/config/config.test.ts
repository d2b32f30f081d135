import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ENV_SCHEMAS } from '../../services/lab/envSchemas.ts';
import { ConfigError, env, loadConfig } from '../../shared/config.ts';

const Example = z.object({
  PORT: env.port(8080),
  MQTT_PORT: env.port(1883),
  VERBOSE: env.bool(false),
  RATE: env.number(1, 0.1, 10),
  URL: env.optionalUrl(),
});

describe('loadConfig', () => {
  it('gives named defaults for unset and empty variables', () => {
    expect(loadConfig('t', Example, { PORT: '' })).toEqual({
      PORT: 8080,
      MQTT_PORT: 1883,
      VERBOSE: false,
      RATE: 1,
    });
  });

  it('parses ports (0 included), booleans and numbers', () => {
    expect(
      loadConfig('t', Example, {
        PORT: '0',
        VERBOSE: 'yes',
        RATE: '2.5',
        URL: 'http://127.0.0.1:8086',
      }),
    ).toEqual({
      PORT: 0,
      MQTT_PORT: 1883,
      VERBOSE: true,
      RATE: 2.5,
      URL: 'http://127.0.0.1:8086',
    });
  });

  it('lists every bad variable in one error, with its value', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig('svc', Example, {
        PORT: '70000',
        MQTT_PORT: 'abc',
        VERBOSE: 'maybe',
        RATE: '11',
        URL: 'not a url',
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems.map((p) => p.split(':')[0])).toEqual([
      'PORT="70000"',
      'MQTT_PORT="abc"',
      'VERBOSE="maybe"',
      'RATE="11"',
      'URL="not a url"',
    ]);
    expect(error!.message).toMatch(/^svc: invalid configuration\n/);
  });

  it('ignores variables the service does not read', () => {
    expect(loadConfig('t', Example, { PATH: '/usr/bin', HOME: '/root' }).PORT).toBe(8080);
  });
});

describe('.env.example', () => {
  const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  const listed = new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
  const read = new Set(Object.values(ENV_SCHEMAS).flatMap((s) => Object.keys(s.shape)));

  it('lists every variable a service reads', () => {
    expect([...read].filter((k) => !listed.has(k))).toEqual([]);
  });

  it('lists no variable that nothing reads', () => {
    expect([...listed].filter((k) => !read.has(k))).toEqual([]);
  });

  it('holds values every service accepts', () => {
    const values = Object.fromEntries(
      [...text.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
    );
    for (const [service, schema] of Object.entries(ENV_SCHEMAS)) {
      expect(() => loadConfig(service, schema, values), service).not.toThrow();
    }
  });
});

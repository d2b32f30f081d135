/**
 * docker-compose.yml, validated by Debian's docker-compose 1.29 (`config`; no engine here) with
 * the example env file, and the properties a deployment relies on asserted on the resolved file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_SCHEMAS } from '../../services/lab/envSchemas.ts';
import { compose, composeConfig, EXAMPLE_ENV, mount, ROOT } from './compose.ts';

const raw = readFileSync(`${ROOT}docker-compose.yml`, 'utf8');
const example = readFileSync(EXAMPLE_ENV, 'utf8');
const exampleValue = (key: string) => example.match(new RegExp(`^${key}=(.*)$`, 'm'))?.[1];
const config = composeConfig();
interface ScrapeJob {
  job_name: string;
  authorization?: { type: string; credentials_file: string };
}
const OURS = ['broker', 'processor', 'gateway', 'simulator'];
const SECRETS = [
  'LAB_SECRET',
  'INFLUX_TOKEN',
  'INFLUX_ADMIN_PASSWORD',
  'GRAFANA_ADMIN_PASSWORD',
  'BROKER_METRICS_TOKEN',
];

const tmp = mkdtempSync(join(tmpdir(), 'gadelys-compose-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('docker-compose.yml', () => {
  it('is valid for docker-compose, with and without the simulator profile', () => {
    expect(compose(['config', '-q'])).toBe('');
    expect(compose(['--profile', 'simulator', 'config', '--services']).split('\n')).toContain(
      'simulator',
    );
    expect(Object.keys(config.services).sort()).toEqual(
      ['broker', 'gateway', 'grafana', 'influxdb', 'processor', 'prometheus', 'simulator'].sort(),
    );
    expect(config.services.simulator?.profiles).toEqual(['simulator']);
  });

  it.each(SECRETS)('refuses to start without %s, and gives it no default', (secret) => {
    const file = join(tmp, `${secret}.env`);
    writeFileSync(file, example.replace(new RegExp(`^${secret}=.*$`, 'm'), ''));
    expect(() => compose(['config', '-q'], file)).toThrow(new RegExp(secret));
    // Every use of it is ${VAR:?message}, never ${VAR:-default} or a bare ${VAR}.
    const uses = [...raw.matchAll(new RegExp(`\\$\\{${secret}([^}]*)\\}`, 'g'))];
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u[1]).toMatch(/^:\?/);
  });

  it('sets up InfluxDB 2 on its first start from .env: org, bucket, token, DBRP mapping', () => {
    const influx = config.services.influxdb!;
    expect(influx.image).toMatch(/^influxdb:2\./);
    const env = influx.environment!;
    expect(env.DOCKER_INFLUXDB_INIT_MODE).toBe('setup');
    expect(env.DOCKER_INFLUXDB_INIT_ORG).toBe(exampleValue('INFLUX_ORG'));
    expect(env.DOCKER_INFLUXDB_INIT_BUCKET).toBe(exampleValue('INFLUX_BUCKET'));
    expect(env.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN).toBe(exampleValue('INFLUX_TOKEN'));
    expect(env.DOCKER_INFLUXDB_INIT_PASSWORD).toBe(exampleValue('INFLUX_ADMIN_PASSWORD'));
    const init = influx.volumes!.map(mount).find((m) => m.target === '/docker-entrypoint-initdb.d');
    expect(init).toBeDefined();
    const script = readFileSync(join(init!.source, 'dbrp.sh'), 'utf8');
    expect(script).toMatch(/influx v1 dbrp create[\s\S]*--db "\$DOCKER_INFLUXDB_INIT_BUCKET"/);
    // The services write to and read from that bucket with that token.
    for (const name of ['processor', 'gateway']) {
      const e = config.services[name]!.environment!;
      expect(e.STORE, name).toBe('influxdb');
      expect(e.INFLUX_BUCKET, name).toBe(env.DOCKER_INFLUXDB_INIT_BUCKET);
      expect(e.INFLUX_ORG, name).toBe(env.DOCKER_INFLUXDB_INIT_ORG);
      expect(e.INFLUX_TOKEN, name).toBe(env.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN);
    }
  });

  it('maps the bucket for InfluxQL on first start (dbrp.sh, with a stand-in influx CLI)', () => {
    // No InfluxDB 2 here: a stand-in `influx` answers `bucket list` as the 2.x CLI prints it
    // (id, name, retention, ... separated by tabs) and records the dbrp call.
    const bin = join(tmp, 'bin');
    mkdirSync(bin, { recursive: true });
    const calls = join(tmp, 'influx-calls');
    writeFileSync(
      join(bin, 'influx'),
      `#!/bin/sh\necho "$@" >> ${calls}\n` +
        `[ "$1 $2" = "bucket list" ] && printf '0a1b2c3d4e5f6789\\tgadelys\\tinfinite\\t168h0m0s\\t0f1e2d3c4b5a6978\\n'\nexit 0\n`,
      { mode: 0o755 },
    );
    execFileSync('sh', [`${ROOT}deploy/influxdb/init/dbrp.sh`], {
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        DOCKER_INFLUXDB_INIT_BUCKET: 'gadelys',
        DOCKER_INFLUXDB_INIT_ORG: 'gadelys',
      },
    });
    const lines = readFileSync(calls, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('bucket list --name gadelys --hide-headers');
    expect(lines[1]).toBe(
      'v1 dbrp create --db gadelys --rp autogen --bucket-id 0a1b2c3d4e5f6789 --default',
    );
  });

  it('checks the health of every service and starts each after what it needs is healthy', () => {
    for (const [name, s] of Object.entries(config.services)) {
      expect(s.healthcheck?.test, `${name} healthcheck`).toBeDefined();
      expect(s.healthcheck?.disable, name).not.toBe(true);
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(condition, `${name} -> ${dep}`).toBe('service_healthy');
        expect(config.services[dep]?.healthcheck, `${dep} has a health check`).toBeDefined();
      }
    }
    const needs = (name: string) => Object.keys(config.services[name]?.depends_on ?? {}).sort();
    expect(needs('processor')).toEqual(['broker', 'influxdb']);
    expect(needs('gateway')).toEqual(['broker', 'influxdb']);
    expect(needs('simulator')).toContain('broker');
    expect(needs('grafana')).toEqual(['influxdb', 'prometheus']);
  });

  it('keeps state on named volumes and mounts only files that exist', () => {
    const declared = Object.keys(config.volumes ?? {});
    const stateful: Record<string, string> = {
      influxdb: '/var/lib/influxdb2',
      processor: '/data/spool',
      gateway: '/data/gateway',
      prometheus: '/prometheus',
      grafana: '/var/lib/grafana',
    };
    for (const [name, path] of Object.entries(stateful)) {
      const m = config.services[name]!.volumes!.map(mount).find((v) => v.target === path);
      expect(m?.named, `${name}:${path} on a named volume`).toBe(true);
      expect(declared).toContain(m!.source);
    }
    for (const [name, s] of Object.entries(config.services)) {
      for (const m of (s.volumes ?? []).map(mount)) {
        if (!m.named) expect(existsSync(m.source), `${name}: ${m.source}`).toBe(true);
        else expect(declared, `${name}: ${m.source}`).toContain(m.source);
      }
    }
  });

  it('runs our services from the image as compiled JavaScript, with variables they read', () => {
    const known = new Set(Object.values(ENV_SCHEMAS).flatMap((s) => Object.keys(s.shape)));
    for (const name of OURS) {
      const s = config.services[name]!;
      expect(s.build?.context, name).toBe(ROOT.replace(/\/$/, ''));
      const [node, entry, ...rest] = s.command ?? [];
      expect(node, name).toBe('node');
      expect(rest, name).toEqual([]);
      expect(entry, name).toMatch(/\.js$/);
      // The compiled file comes from this source (scripts/buildServer.ts keeps the layout).
      expect(existsSync(`${ROOT}${entry!.replace(/\.js$/, '.ts')}`), `${name}: ${entry}`).toBe(
        true,
      );
      for (const key of Object.keys(s.environment ?? {}))
        expect(known.has(key), `${name}: ${key}`).toBe(true);
    }
  });

  it('gives every service the same devices: lamp count and the gateway-uploaded inventory', () => {
    const gatewayData = config.services
      .gateway!.volumes!.map(mount)
      .find((m) => m.target === config.services.gateway!.environment!.GATEWAY_DATA_DIR);
    expect(gatewayData?.named).toBe(true);
    for (const name of OURS) {
      const s = config.services[name]!;
      expect(s.environment?.SIMULATOR_LAMPS, name).toBe(exampleValue('SIMULATOR_LAMPS'));
      expect(s.environment?.GATEWAY_DATA_DIR, name).toBe('/data/gateway');
      const m = s.volumes!.map(mount).find((v) => v.target === '/data/gateway');
      expect(m?.source, `${name} sees the gateway's data`).toBe(gatewayData!.source);
    }
  });

  it('mounts the Prometheus configuration and its rules', () => {
    const p = config.services.prometheus!;
    const conf = p.volumes!.map(mount).find((m) => m.target === '/etc/prometheus');
    expect(conf && existsSync(join(conf.source, 'prometheus.yml'))).toBe(true);
    expect(p.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    const scrape = readFileSync(join(conf!.source, 'prometheus.yml'), 'utf8');
    // Targets are compose service names on the ports the services listen on by default.
    expect(scrape).toContain("'broker:9101'");
    expect(scrape).toContain("'processor:9464'");
    expect(config.services.processor!.environment!.PROCESSOR_METRICS_HOST).toBe('0.0.0.0');
    const broker = config.services.broker!.environment!;
    expect(broker.BROKER_HOST).toBe('0.0.0.0');
    // The broker's metrics off loopback want a bearer token; Prometheus gets the same one, in
    // the file its scrape config names.
    expect(broker.BROKER_METRICS_HOST).toBe('0.0.0.0');
    expect(broker.BROKER_METRICS_TOKEN).toBe(exampleValue('BROKER_METRICS_TOKEN'));
    expect(p.environment?.BROKER_METRICS_TOKEN).toBe(broker.BROKER_METRICS_TOKEN);
    const jobs = (parse(scrape) as { scrape_configs: ScrapeJob[] }).scrape_configs;
    const file = jobs.find((j) => j.job_name === 'gadelys-broker')?.authorization?.credentials_file;
    expect(file).toBeDefined();
    const entry = p.entrypoint?.join(' ') ?? '';
    expect(entry).toContain(`> ${file}`);
    expect(entry).toContain('exec /bin/prometheus');
    expect(config.services.broker!.healthcheck?.test.toString()).toContain('BROKER_METRICS_TOKEN');
  });
});

/**
 * A real Prometheus (Debian's 2.42) scrapes a running lab: the lab's real entry point as a child
 * process with every port free, Prometheus with the shipped scrape config and rules
 * (deploy/prometheus), its targets pointed at the lab's metrics endpoints and a 1 s scrape
 * interval. Every target must be up, every rule evaluate without error, and every PromQL query of
 * the services dashboard answer; those over metrics the lab has produced must return data.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { GRAFANA_DASHBOARD_DIR } from '../../dashboards/grafana/generate.ts';
import { eventually } from '../helpers/eventually.ts';
import { labEnv } from '../helpers/labEnv.ts';
import { freePort } from '../helpers/ports.ts';
import { ROOT } from './compose.ts';
import { metricsIn } from './metricNames.ts';
import { type Started, startProcess } from './processes.ts';

/** Prometheus scrapes every second and evaluates rules on its own clock: wait up to 20 s. */
const PROMETHEUS_WAIT = { timeoutMs: 20_000, intervalMs: 200 };

const dir = mkdtempSync(join(tmpdir(), 'gadelys-prom-'));
const started: Started[] = [];
let prom = '';
let jobs: string[] = [];
let brokerWithoutToken = 0;
let brokerAuth: ScrapeConfig['authorization'];

interface ScrapeConfig {
  job_name: string;
  authorization?: { type: string; credentials_file: string };
  static_configs: { targets: string[]; labels?: Record<string, string> }[];
}
/** The broker's /metrics bearer token, as compose sets it (BROKER_METRICS_TOKEN). */
const TOKEN = 'scrape-test-metrics-token';

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${prom}${path}`);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
  return body.data;
}

beforeAll(async () => {
  const lab = startProcess(process.execPath, ['--import', 'tsx', 'services/lab/main.ts'], {
    cwd: ROOT,
    env: labEnv(dir, { BROKER_METRICS_TOKEN: TOKEN, GATEWAY_METRICS_TOKEN: TOKEN }),
  });
  started.push(lab);
  const metricsOf = async (service: string) =>
    new URL(
      (
        await lab.waitFor(new RegExp(`${service} metrics\\s+(http://\\S+)`), `${service} metrics`)
      )[1]!,
    ).host;
  const targets: Record<string, string> = {
    'gadelys-broker': await metricsOf('broker'),
    'gadelys-processor': await metricsOf('processor'),
    'gadelys-gateway': new URL(
      (await lab.waitFor(/OpenAPI\s+(http:\/\/\S+)/, 'the gateway address'))[1]!,
    ).host,
  };

  // The shipped configuration, with the lab's addresses and a fast scrape.
  const shipped = parse(readFileSync(`${ROOT}deploy/prometheus/prometheus.yml`, 'utf8')) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: ScrapeConfig[];
  };
  jobs = shipped.scrape_configs.map((s) => s.job_name);
  for (const s of shipped.scrape_configs) {
    const target = targets[s.job_name];
    if (!target) throw new Error(`no lab endpoint for job ${s.job_name}`);
    for (const c of s.static_configs) c.targets = [target];
    // The token file compose writes, here in the temp dir.
    if (s.authorization) {
      s.authorization.credentials_file = join(dir, `${s.job_name}.token`);
      writeFileSync(s.authorization.credentials_file, TOKEN);
    }
  }
  // Without the token the broker refuses a scrape: the target being up proves it is sent.
  brokerWithoutToken = (await fetch(`http://${targets['gadelys-broker']}/metrics`)).status;
  brokerAuth = shipped.scrape_configs.find((s) => s.job_name === 'gadelys-broker')?.authorization;
  shipped.global.scrape_interval = '1s';
  shipped.global.evaluation_interval = '1s';
  writeFileSync(join(dir, 'prometheus.yml'), stringify(shipped));
  cpSync(`${ROOT}deploy/prometheus/rules`, join(dir, 'rules'), { recursive: true });

  const port = await freePort();
  prom = `http://127.0.0.1:${port}`;
  const server = startProcess(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { cwd: dir, env: { PATH: process.env.PATH } },
  );
  started.push(server);
  await eventually(
    'prometheus ready',
    async () => {
      const res = await fetch(`${prom}/-/ready`);
      return res.ok ? true : undefined;
    },
    PROMETHEUS_WAIT,
  );
}, 120_000);

afterAll(async () => {
  for (const s of started.reverse()) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('every target of the shipped scrape config is up', async () => {
  type Targets = { activeTargets: { scrapePool: string; health: string; lastError: string }[] };
  const active = await eventually(
    'every target up',
    async () => {
      const { activeTargets } = await api<Targets>('/api/v1/targets');
      const up = activeTargets.filter((t) => t.health === 'up');
      return up.length === jobs.length ? activeTargets : undefined;
    },
    PROMETHEUS_WAIT,
  );
  expect(active.map((t) => t.scrapePool).sort()).toEqual([...jobs].sort());
  // The broker's metrics want the bearer token, and the shipped config sends it.
  expect(brokerWithoutToken).toBe(401);
  expect(brokerAuth?.type).toBe('Bearer');
  for (const t of active) expect(t.lastError).toBe('');
});

test('every rule loads and evaluates on the lab without error', async () => {
  type Rules = {
    groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[];
  };
  const shipped = parse(readFileSync(`${ROOT}deploy/prometheus/rules/gadelys.yml`, 'utf8')) as {
    groups: { name: string; rules: unknown[] }[];
  };
  const groups = await eventually(
    'every rule evaluated',
    async () => {
      const { groups } = await api<Rules>('/api/v1/rules');
      const rules = groups.flatMap((g) => g.rules);
      return rules.length > 0 && rules.every((r) => r.health !== 'unknown') ? groups : undefined;
    },
    PROMETHEUS_WAIT,
  );
  expect(groups.map((g) => g.name).sort()).toEqual(shipped.groups.map((g) => g.name).sort());
  for (const r of groups.flatMap((g) => g.rules)) {
    expect(r.health, `${r.name}: ${r.lastError}`).toBe('ok');
  }
});

test('every query of the services dashboard answers, with data where the lab made some', async () => {
  const dashboard = JSON.parse(readFileSync(`${GRAFANA_DASHBOARD_DIR}services.json`, 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  const query = (expr: string) =>
    api<{ result: unknown[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
  // Rates need a few scrapes: wait until readings have been counted more than once.
  await eventually(
    'a rate of readings',
    async () =>
      (await query('rate(gadelys_processor_readings_total[5s]) > 0')).result.length > 0
        ? true
        : undefined,
    { ...PROMETHEUS_WAIT, timeoutMs: 30_000 },
  );
  const names = new Set(await api<string[]>('/api/v1/label/__name__/values'));
  let withData = 0;
  for (const panel of dashboard.panels) {
    for (const t of panel.targets) {
      // Grafana's $__rate_interval: at least four scrape intervals.
      const expr = t.expr.replaceAll('$__rate_interval', '5s');
      const first = await query(expr);
      // Labelled counters (rejects, refusals, errors) exist once something happened; the rest
      // must have data once a series has been scraped a few times (bounded wait).
      if (first.result.length === 0 && metricsIn(expr).every((m) => names.has(m))) {
        await eventually(
          `"${panel.title}": ${expr}`,
          async () => ((await query(expr)).result.length > 0 ? true : undefined),
          PROMETHEUS_WAIT,
        );
      }
      if (metricsIn(expr).every((m) => names.has(m))) withData++;
    }
  }
  expect(withData).toBeGreaterThanOrEqual(10);
});

/**
 * The Grafana provisioning, checked against the layout Grafana expects (no Grafana binary here:
 * the dashboards are validated and their queries run against influxd, not rendered): data
 * sources with uids, dashboards whose data source references resolve to them, every panel with a
 * query, the provider path reaching the dashboard files through docker-compose's mounts, and the
 * shipped JSON generated from dashboards.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GRAFANA_DASHBOARDS } from '../../dashboards/grafana/dashboards.ts';
import { GRAFANA_DASHBOARD_DIR } from '../../dashboards/grafana/generate.ts';
import { dashboardJson, INFLUX_UID, PROMETHEUS_UID } from '../../dashboards/grafana/model.ts';
import { composeConfig, mount, ROOT } from './compose.ts';
import { exposedMetricNames, metricsIn } from './metricNames.ts';

const GRAFANA = `${ROOT}dashboards/grafana/`;
const yamlOf = (path: string) => parse(readFileSync(path, 'utf8'));
/** `${NAME}`: how Grafana provisioning files reference an environment variable. */
const envRef = (name: string) => `\${${name}}`;

interface Datasource {
  name: string;
  uid: string;
  type: string;
  url: string;
  access: string;
  jsonData?: Record<string, string>;
  secureJsonData?: Record<string, string>;
}
const datasourceFiles = readdirSync(`${GRAFANA}provisioning/datasources`).map((f) => ({
  file: f,
  doc: yamlOf(`${GRAFANA}provisioning/datasources/${f}`) as {
    apiVersion: number;
    datasources: Datasource[];
  },
}));
const byFile = (f: string) => datasourceFiles.find((d) => d.file === f)!.doc.datasources;

const grafana = composeConfig().services.grafana!;
const mounts = grafana.volumes!.map(mount);
/** The repository path that a path inside the Grafana container comes from. */
function hostPath(containerPath: string): string | undefined {
  for (const m of mounts) {
    if (containerPath === m.target) return m.source;
    if (containerPath.startsWith(`${m.target}/`))
      return join(m.source, containerPath.slice(m.target.length));
  }
  return undefined;
}

const files = readdirSync(GRAFANA_DASHBOARD_DIR).filter((f) => f.endsWith('.json'));
const dashboards = files.map((f) => ({
  file: f,
  json: JSON.parse(readFileSync(`${GRAFANA_DASHBOARD_DIR}${f}`, 'utf8')),
}));

describe('Grafana data sources', () => {
  it('InfluxQL for 1.x and for 2.x through DBRP, under the uid the dashboards use', () => {
    for (const d of datasourceFiles) expect(d.doc.apiVersion, d.file).toBe(1);
    const [v1] = byFile('influxdb-v1.yml');
    const [v2] = byFile('influxdb-v2.yml');
    for (const ds of [v1!, v2!]) {
      expect(ds.type).toBe('influxdb');
      expect(ds.uid).toBe(INFLUX_UID);
      expect(ds.access).toBe('proxy');
      expect(ds.jsonData?.version).toBe('InfluxQL');
    }
    expect(v1!.jsonData?.dbName).toBe(envRef('INFLUX_DATABASE'));
    // 2.x: the bucket is the InfluxQL database, the token goes in an Authorization header.
    expect(v2!.jsonData?.dbName).toBe(envRef('INFLUX_BUCKET'));
    expect(v2!.jsonData?.httpHeaderName1).toBe('Authorization');
    expect(v2!.secureJsonData?.httpHeaderValue1).toBe(`Token ${envRef('INFLUX_TOKEN')}`);
    const [prom] = byFile('prometheus.yml');
    expect(prom!.type).toBe('prometheus');
    expect(prom!.uid).toBe(PROMETHEUS_UID);
  });

  it('docker-compose provisions one InfluxDB source (2.x) and Prometheus, with their variables', () => {
    const provisioned = mounts.filter((m) =>
      m.target.startsWith('/etc/grafana/provisioning/datasources/'),
    );
    const sources = provisioned.map((m) => m.source.split('/').at(-1));
    expect(sources.sort()).toEqual(['influxdb-v2.yml', 'prometheus.yml']);
    const env = grafana.environment ?? {};
    for (const m of provisioned) {
      const text = readFileSync(m.source, 'utf8').replace(/^\s*#.*$/gm, '');
      for (const [, name] of text.matchAll(/\$\{(\w+)\}/g)) {
        expect(env[name!], `${m.source}: \${${name}} set for grafana`).toBeTruthy();
      }
    }
    expect(env.INFLUX_URL).toBe('http://influxdb:8086');
    expect(env.PROMETHEUS_URL).toBe('http://prometheus:9090');
  });
});

describe('Grafana dashboard provisioning', () => {
  it('the provider path reaches the dashboard files through the compose mounts', () => {
    const provider = mounts.find((m) => m.target === '/etc/grafana/provisioning/dashboards');
    expect(provider).toBeDefined();
    const doc = yamlOf(join(provider!.source, 'gadelys.yml')) as {
      apiVersion: number;
      providers: { name: string; type: string; options: { path: string } }[];
    };
    expect(doc.apiVersion).toBe(1);
    expect(doc.providers).toHaveLength(1);
    const [p] = doc.providers;
    expect(p!.type).toBe('file');
    const host = hostPath(p!.options.path);
    expect(host, p!.options.path).toBe(GRAFANA_DASHBOARD_DIR.replace(/\/$/, ''));
    expect(
      readdirSync(host!)
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual(files.sort());
    const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    expect(files).toContain(home?.split('/').at(-1));
    expect(hostPath(home!)).toBe(join(GRAFANA_DASHBOARD_DIR, 'route-overview.json'));
  });

  it('ships the route overview, lamp detail, energy, alarms and services dashboards', () => {
    expect(files.sort()).toEqual(GRAFANA_DASHBOARDS.map((d) => d.file).sort());
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual([
      'gadelys-alarms',
      'gadelys-energy',
      'gadelys-lamp-detail',
      'gadelys-route-overview',
      'gadelys-services',
    ]);
    const lamp = dashboards.find((d) => d.json.uid === 'gadelys-lamp-detail')!.json;
    expect(lamp.templating.list.map((v: { name: string }) => v.name)).toEqual([
      'segment',
      'vendor',
      'lamp',
    ]);
  });

  it('the shipped JSON is what dashboards.ts generates (npx tsx dashboards/grafana/generate.ts)', () => {
    for (const spec of GRAFANA_DASHBOARDS) {
      const shipped = dashboards.find((d) => d.file === spec.file)?.json;
      expect(shipped, spec.file).toEqual(dashboardJson(spec));
    }
  });

  it.each(dashboards)('$file has the layout Grafana expects', ({ json }) => {
    const uids: Record<string, string> = {
      [INFLUX_UID]: 'influxdb',
      [PROMETHEUS_UID]: 'prometheus',
    };
    const resolves = (ref: { type: string; uid: string } | undefined, where: string) => {
      expect(ref, where).toBeDefined();
      expect(uids[ref!.uid], `${where}: data source ${ref!.uid}`).toBe(ref!.type);
    };
    expect(json.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(json.title).toBeTruthy();
    expect(json.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(json.id).toBeUndefined(); // provisioning assigns ids; a fixed one would clash
    expect(json.panels.length).toBeGreaterThan(0);
    const ids = new Set<number>();
    for (const v of json.templating.list) resolves(v.datasource, `variable ${v.name}`);
    for (const panel of json.panels) {
      const where = `panel "${panel.title}"`;
      expect(ids.has(panel.id), `${where}: id ${panel.id} unique`).toBe(false);
      ids.add(panel.id);
      expect(panel.gridPos.x + panel.gridPos.w, where).toBeLessThanOrEqual(24);
      resolves(panel.datasource, where);
      expect(panel.targets.length, `${where} has a query`).toBeGreaterThan(0);
      for (const t of panel.targets) {
        resolves(t.datasource, `${where} ${t.refId}`);
        expect(t.datasource.uid, `${where}: one data source per panel`).toBe(panel.datasource.uid);
        const text = t.datasource.type === 'influxdb' ? t.query : t.expr;
        expect(typeof text === 'string' && text.trim().length > 0, `${where} ${t.refId}`).toBe(
          true,
        );
        if (t.datasource.type === 'influxdb') expect(t.rawQuery, where).toBe(true);
      }
    }
  });

  it('Prometheus panels use only metrics the services expose', async () => {
    const exposed = await exposedMetricNames();
    let checked = 0;
    for (const { json } of dashboards) {
      for (const panel of json.panels) {
        for (const t of panel.targets) {
          if (t.datasource.type !== 'prometheus') continue;
          for (const name of metricsIn(t.expr)) {
            expect(exposed.has(name), `"${panel.title}": ${name}`).toBe(true);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
});

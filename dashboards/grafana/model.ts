/**
 * A small builder for Grafana dashboard JSON (schemaVersion 39, Grafana 10/11). The dashboards
 * are written in dashboards.ts with it and generated into dashboards/*.json (`npx tsx
 * dashboards/grafana/generate.ts`); each query carries the columns it must return, which
 * test/ecosystem/grafanaQueries.test.ts checks against a real influxd.
 */

/** Provisioned data source uids (provisioning/datasources/*.yml). */
export const INFLUX_UID = 'gadelys-influxdb';
export const PROMETHEUS_UID = 'gadelys-prometheus';

export const INFLUX = { type: 'influxdb', uid: INFLUX_UID } as const;
export const PROMETHEUS = { type: 'prometheus', uid: PROMETHEUS_UID } as const;
export type DataSourceRef = typeof INFLUX | typeof PROMETHEUS;

export interface InfluxQuery {
  /** Raw InfluxQL with Grafana's macros ($timeFilter, $__interval) and variables. */
  query: string;
  format?: 'time_series' | 'table';
  alias?: string;
  /** Columns every returned series has, in order (checked against influxd). */
  columns: readonly string[];
  /** Tags each series is grouped by (checked against influxd). */
  groupBy?: readonly string[];
  /** Why a selection of lamps may rightly have no data here ("No data" in Grafana). */
  emptyWhen?: string;
}

export interface PromQuery {
  expr: string;
  legend?: string;
}

export type PanelType = 'timeseries' | 'stat' | 'table' | 'bargauge' | 'barchart';

export interface PanelSpec {
  title: string;
  type: PanelType;
  /** Grid width (of 24) and height. */
  w: number;
  h: number;
  unit?: string;
  description?: string;
  /** Grafana's "Min interval": `$__interval` is never finer (a rollup's resolution). */
  interval?: string;
  influx?: readonly InfluxQuery[];
  prometheus?: readonly PromQuery[];
  /** Panel options and fieldConfig defaults merged over the type's defaults. */
  options?: Record<string, unknown>;
  defaults?: Record<string, unknown>;
  transformations?: readonly Record<string, unknown>[];
}

export interface VariableSpec {
  name: string;
  label: string;
  /** InfluxQL that lists the values (SHOW TAG VALUES ...), may use earlier variables. */
  query: string;
  multi: boolean;
  includeAll: boolean;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  file: string;
  description: string;
  from: string;
  refresh: string;
  variables: readonly VariableSpec[];
  panels: readonly PanelSpec[];
}

const REF_IDS = 'ABCDEFGHIJ';

function targets(p: PanelSpec) {
  if (p.influx) {
    return p.influx.map((q, i) => ({
      refId: REF_IDS[i]!,
      datasource: INFLUX,
      rawQuery: true,
      query: q.query,
      resultFormat: q.format ?? 'time_series',
      ...(q.alias ? { alias: q.alias } : {}),
    }));
  }
  return (p.prometheus ?? []).map((q, i) => ({
    refId: REF_IDS[i]!,
    datasource: PROMETHEUS,
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
    range: true,
  }));
}

/** Lay panels out left to right, wrapping at 24 columns. */
function layout(panels: readonly PanelSpec[]) {
  let x = 0;
  let y = 0;
  let rowH = 0;
  return panels.map((p) => {
    if (x + p.w > 24) {
      x = 0;
      y += rowH;
      rowH = 0;
    }
    const pos = { h: p.h, w: p.w, x, y };
    x += p.w;
    rowH = Math.max(rowH, p.h);
    return pos;
  });
}

export function dashboardJson(d: DashboardSpec): Record<string, unknown> {
  const positions = layout(d.panels);
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ['gadelys'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    timezone: 'browser',
    time: { from: d.from, to: 'now' },
    refresh: d.refresh,
    annotations: { list: [] },
    links: [
      { title: 'gadelys', type: 'dashboards', tags: ['gadelys'], asDropdown: true, icon: 'apps' },
    ],
    templating: {
      list: d.variables.map((v) => ({
        name: v.name,
        label: v.label,
        type: 'query',
        datasource: INFLUX,
        query: v.query,
        definition: v.query,
        refresh: 2,
        sort: 1,
        multi: v.multi,
        includeAll: v.includeAll,
        current: {},
        options: [],
      })),
    },
    panels: d.panels.map((p, i) => {
      const isInflux = p.influx !== undefined;
      return {
        id: i + 1,
        type: p.type,
        title: p.title,
        ...(p.description ? { description: p.description } : {}),
        ...(p.interval ? { interval: p.interval } : {}),
        gridPos: positions[i],
        datasource: isInflux ? INFLUX : PROMETHEUS,
        targets: targets(p),
        fieldConfig: {
          defaults: { ...(p.unit ? { unit: p.unit } : {}), ...p.defaults },
          overrides: [],
        },
        options: { ...p.options },
        ...(p.transformations ? { transformations: p.transformations } : {}),
      };
    }),
  };
}

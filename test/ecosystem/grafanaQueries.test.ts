/**
 * Every InfluxQL query of every shipped Grafana dashboard (panels and variables), filled in as
 * Grafana fills it (`$timeFilter`, `$__interval`, the variables: "All" and a single value), run
 * against a real influxd (Debian's 1.6.7) holding three simulated hours of the route written
 * through the project's InfluxDB adapter. Each must return series with the columns and group-by
 * tags the dashboard definition says.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAFANA_DASHBOARDS } from '../../dashboards/grafana/dashboards.ts';
import { GRAFANA_DASHBOARD_DIR } from '../../dashboards/grafana/generate.ts';
import { INFLUX_UID, type InfluxQuery } from '../../dashboards/grafana/model.ts';
import { createInfluxStore } from '../../shared/storage/influxdb/influxStore.ts';
import type { Store } from '../../shared/storage/port.ts';
import { influxQuery, startInfluxd, type TestInfluxd } from '../helpers/influxd.ts';
import { interpolateInflux, type VariableValue } from './grafanaMacros.ts';
import { type SeededLab, seedLab } from './labData.ts';

interface JsonTarget {
  refId: string;
  query?: string;
  datasource?: { uid: string };
}
interface JsonDashboard {
  uid: string;
  templating: {
    list: { name: string; query: string; multi: boolean; includeAll: boolean }[];
  };
  panels: {
    id: number;
    title: string;
    interval?: string;
    targets: JsonTarget[];
    datasource: { uid: string };
  }[];
}

const shipped = GRAFANA_DASHBOARDS.map((spec) => ({
  spec,
  json: JSON.parse(readFileSync(`${GRAFANA_DASHBOARD_DIR}${spec.file}`, 'utf8')) as JsonDashboard,
}));

let influxd: TestInfluxd;
let store: Store;
let lab: SeededLab;

beforeAll(async () => {
  influxd = await startInfluxd({ database: 'gadelys' });
  // The seeded lab is at fixed dates: keep every resolution forever (no policy drops it later).
  store = await createInfluxStore({
    url: influxd.url,
    database: 'gadelys',
    retention: { raw: 0, '1m': 0, '1h': 0 },
  });
  lab = await seedLab(store);
}, 180_000);

afterAll(async () => {
  await store?.close();
  await influxd?.stop();
});

const INTERVAL = { interval: '10m', intervalMs: 600_000 };
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Grafana's $__interval for a panel: the dashboard's, never finer than the panel's minimum. */
function intervalFor(panel: { interval?: string }) {
  const m = panel.interval?.match(/^(\d+)([smhd])$/);
  const min = m ? Number(m[1]) * UNIT_MS[m[2]!]! : 0;
  return min > INTERVAL.intervalMs ? { interval: panel.interval!, intervalMs: min } : INTERVAL;
}
const run = (q: string) => influxQuery(influxd.url, 'gadelys', q);

/**
 * The variables of a dashboard, each resolved with the ones before it as Grafana refreshes them:
 * `pick` 'all' selects every value of a multi-value/All variable (and the first of a single
 * one), 'first' the first value of each.
 */
async function resolveVariables(d: JsonDashboard, pick: 'all' | 'first') {
  const variables: Record<string, VariableValue> = {};
  for (const v of d.templating.list) {
    const q = interpolateInflux(v.query, { from: lab.from, to: lab.to, ...INTERVAL, variables });
    const series = await run(q);
    const values = (series[0]?.values ?? []).map((row) => String(row[1]));
    expect(values.length, `variable ${v.name}: ${q}`).toBeGreaterThan(0);
    const all = pick === 'all' && (v.multi || v.includeAll);
    variables[v.name] = {
      values: all ? values : values.slice(0, 1),
      multi: v.multi,
      includeAll: v.includeAll,
    };
  }
  return variables;
}

async function checkQuery(
  where: string,
  query: string,
  expected: InfluxQuery,
  variables: Record<string, VariableValue>,
  pick: 'all' | 'first',
  interval = INTERVAL,
) {
  const q = interpolateInflux(query, { from: lab.from, to: lab.to, ...interval, variables });
  const series = await run(q);
  // With every lamp selected there is always data; one segment and vendor may rightly have none.
  if (series.length === 0 && pick === 'first' && expected.emptyWhen) return series;
  expect(series.length, `${where}: no series for ${q}`).toBeGreaterThan(0);
  for (const s of series) {
    expect(s.columns, `${where}: ${q}`).toEqual(expected.columns);
    expect(s.values.length, `${where}: rows`).toBeGreaterThan(0);
    expect(Object.keys(s.tags ?? {}).sort(), `${where}: group-by tags`).toEqual(
      [...(expected.groupBy ?? [])].sort(),
    );
    // Something measured, not a column of nulls.
    const measured = s.values.some((row) => row.slice(1).some((v) => v !== null));
    expect(measured, `${where}: only nulls`).toBe(true);
  }
  return series;
}

describe('the simulated data', () => {
  it('covers the route', () => {
    expect(lab.lamps).toBe(280);
    expect(lab.readings).toBeGreaterThan(280 * 170);
  });
});

const onInflux = shipped.filter(({ json }) =>
  json.panels.some((p) => p.datasource.uid === INFLUX_UID),
);

describe.each(onInflux)('Grafana dashboard $spec.file', ({ spec, json }) => {
  const influxPanels = json.panels
    .map((panel, index) => ({ panel, index }))
    .filter(({ panel }) => panel.datasource.uid === INFLUX_UID);

  it.each(['all', 'first'] as const)(
    'every InfluxQL query returns its columns, variables picking %s',
    async (pick) => {
      const variables = await resolveVariables(json, pick);
      for (const { panel, index } of influxPanels) {
        const expectations = spec.panels[index]?.influx ?? [];
        expect(panel.targets.length, panel.title).toBe(expectations.length);
        for (const [i, target] of panel.targets.entries()) {
          const expected = expectations[i]!;
          expect(target.query, `${panel.title}: shipped JSON is the definition`).toBe(
            expected.query,
          );
          await checkQuery(
            `${spec.file} "${panel.title}" ${target.refId}`,
            target.query!,
            expected,
            variables,
            pick,
            intervalFor(panel),
          );
        }
      }
    },
    120_000,
  );
});

describe('the figures are the right ones', () => {
  it('energy by vendor sums to the route total, and matches the store adapter', async () => {
    const d = shipped.find((s) => s.spec.uid === 'gadelys-energy')!;
    const variables = await resolveVariables(d.json, 'all');
    const fill = (q: string) =>
      interpolateInflux(q, { from: lab.from, to: lab.to, ...INTERVAL, variables });
    const byVendor = d.spec.panels.find((p) => p.title === 'Energy by vendor')!.influx![0]!;
    const vendors = await run(fill(byVendor.query));
    const sum = vendors.reduce((a, s) => a + Number(s.values[0]![1]), 0);
    const viaAdapter = await store.energy({ from: lab.from, to: lab.to + 1, groupBy: 'vendor' });
    const adapterSum = viaAdapter.reduce((a, r) => a + r.kWh, 0);
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeCloseTo(adapterSum, 6);
    for (const s of vendors) {
      const row = viaAdapter.find((r) => r.key === s.tags?.vendorId);
      expect(row, s.tags?.vendorId).toBeDefined();
      expect(Number(s.values[0]![1])).toBeCloseTo(row!.kWh, 6);
    }
  });

  it('a chart read from the 1-minute rollup gives what raw telemetry gives', async () => {
    const d = shipped.find((s) => s.spec.uid === 'gadelys-route-overview')!;
    const panel = d.spec.panels.find((p) => p.title === 'Supply voltage over the route')!;
    const variables = await resolveVariables(d.json, 'all');
    const fill = (q: string) =>
      interpolateInflux(q, { from: lab.from, to: lab.to, ...INTERVAL, variables });
    const [rollup] = await run(fill(panel.influx![0]!.query));
    const raw = fill(
      'SELECT min("supplyVoltage") AS "min", mean("supplyVoltage") AS "mean", max("supplyVoltage") AS "max" ' +
        'FROM "telemetry" WHERE "segmentId" =~ /^$segment$/ AND "vendorId" =~ /^$vendor$/ AND $timeFilter ' +
        'GROUP BY time($__interval) fill(none)',
    );
    const [direct] = await run(raw);
    expect(rollup!.values.length).toBe(direct!.values.length);
    expect(rollup!.values.length).toBeGreaterThan(10);
    for (const [i, row] of rollup!.values.entries()) {
      const want = direct!.values[i]!;
      expect(row[0]).toBe(want[0]);
      expect(row[1]).toBe(want[1]);
      expect(row[2] as number).toBeCloseTo(want[2] as number, 9);
      expect(row[3]).toBe(want[3]);
    }
  });

  it('the lamps-reporting stat counts every lamp, and a segment only its own', async () => {
    const d = shipped.find((s) => s.spec.uid === 'gadelys-route-overview')!;
    const q = d.spec.panels.find((p) => p.title === 'Lamps reporting')!.influx![0]!.query;
    const fill = (variables: Record<string, VariableValue>) =>
      interpolateInflux(q, { from: lab.from, to: lab.to, ...INTERVAL, variables });
    const all = await resolveVariables(d.json, 'all');
    expect((await run(fill(all)))[0]!.values[0]![1]).toBe(280);
    const first = await resolveVariables(d.json, 'first');
    const one = Number((await run(fill(first)))[0]!.values[0]![1]);
    expect(one).toBeGreaterThan(0);
    expect(one).toBeLessThan(280);
  });

  it('the raised-now table lists the alarms whose last transition is raised', async () => {
    const d = shipped.find((s) => s.spec.uid === 'gadelys-alarms')!;
    const q = d.spec.panels.find((p) => p.title === 'Raised now')!.influx![0]!.query;
    const variables = await resolveVariables(d.json, 'all');
    const series = await run(
      interpolateInflux(q, { from: lab.from, to: lab.to, ...INTERVAL, variables }),
    );
    // Five lamp failures raised, four cleared; one segment supply loss raised.
    expect(series.map((s) => s.tags?.alarmId).sort()).toEqual([
      expect.stringMatching(/^lampFailure:/),
      expect.stringMatching(/^segmentSupplyLoss:/),
    ]);
  });
});

/**
 * The Grafana dashboards, as data: InfluxQL over the stored schema (shared/storage/schema.ts:
 * measurements telemetry, status, event, ack, alarm; lamp tags lampId, segmentId, vendorId,
 * modelId) and PromQL over the services' /metrics. InfluxQL is the read path InfluxDB 1.x, 2.x
 * (through DBRP) and 3.x all serve, like the gateway's own reads.
 *
 * Energy is the spread of the cumulative activeEnergy counter per lamp (as the gateway computes
 * it), summed per vendor or segment in an outer query. Long ranges read the processor's rollups
 * (shared/storage/schema.ts: rollup_1h, per lamp and hour, `<field>_sum|n|min|max|last`, `count`):
 * the energy dashboard and the hourly lamp panels; the route overview's charts read rollup_1m.
 * The latest state of every lamp comes from
 * `last_state` (one point per lamp), not from a scan of history.
 */
import type { DashboardSpec, InfluxQuery, PanelSpec, VariableSpec } from './model.ts';

/**
 * Each measurement is read as `"<retention policy>"."<measurement>"`: the store keeps every
 * resolution in its own policy (1.x) or bucket `<bucket>/<policy>` (2.x, found through its
 * virtual DBRP mapping), see shared/storage/influxdb/layout.ts. Events, status, acks and alarms
 * are in `autogen` (the 2.x bucket itself).
 */
const POLICY: Record<string, string> = {
  telemetry: 'raw',
  rollup_1m: 'rollup_1m',
  rollup_1h: 'rollup_1h',
};
const source = (m: string) => `"${POLICY[m] ?? 'autogen'}"."${m}"`;

const segmentVar: VariableSpec = {
  name: 'segment',
  label: 'Segment',
  query: 'SHOW TAG VALUES FROM "raw"."telemetry" WITH KEY = "segmentId"',
  multi: true,
  includeAll: true,
};
const vendorVar: VariableSpec = {
  name: 'vendor',
  label: 'Vendor',
  query:
    'SHOW TAG VALUES FROM "raw"."telemetry" WITH KEY = "vendorId" WHERE "segmentId" =~ /^$segment$/',
  multi: true,
  includeAll: true,
};
const lampVar: VariableSpec = {
  name: 'lamp',
  label: 'Lamp',
  query:
    'SHOW TAG VALUES FROM "raw"."telemetry" WITH KEY = "lampId" WHERE "segmentId" =~ /^$segment$/ AND "vendorId" =~ /^$vendor$/',
  multi: false,
  includeAll: false,
};

/** The lamps the segment and vendor variables select, and the dashboard's time range. */
const LAMPS = '"segmentId" =~ /^$segment$/ AND "vendorId" =~ /^$vendor$/ AND $timeFilter';
const LAMP = `"lampId" = '$lamp' AND $timeFilter`;
/** One figure of the selected lamp over the range, from its raw telemetry. */
const ofLamp = (select: string, as: string): InfluxQuery => ({
  query: `SELECT ${select} AS "${as}" FROM "raw"."telemetry" WHERE ${LAMP}`,
  columns: ['time', as],
});

const perInterval = (select: string, where: string, groupBy = '', from = 'telemetry'): string =>
  `SELECT ${select} FROM ${source(from)} WHERE ${where} GROUP BY time($__interval)${groupBy} fill(none)`;

/** The lamps the variables select, in last_state (points at time 0: no time filter). */
const LAST = '"segmentId" =~ /^$segment$/ AND "vendorId" =~ /^$vendor$/';
/** Readings within the dashboard's range ($__from is its start, epoch ms). */
const RECENT = `${LAST} AND "readingTs" >= $__from`;
/** One figure over the latest reading of every lamp reporting within the range. */
const ofRecentLamps = (select: string, as: string): InfluxQuery => ({
  query: `SELECT ${select} AS "${as}" FROM "state"."last_state" WHERE ${RECENT}`,
  columns: ['time', as],
});
/** Per lamp over the range, from a rollup: the spread of the energy counter. */
const ROLLUP_ENERGY = 'max("activeEnergy_max") - min("activeEnergy_min")';
const HOURLY = 'From the hourly rollups: the hour in progress appears once it is complete.';
const MINUTELY = 'From the 1-minute rollups: the minute in progress appears once it is complete.';
/** A rollup's mean over several buckets: the sum of sums over the sum of counts. */
const meanOf = (field: string, as: string) => `sum("${field}_sum") / sum("${field}_n") AS "${as}"`;
/** A chart read from the hourly rollup, never finer than its buckets. */
const hourly = (p: PanelSpec): PanelSpec => ({ ...p, interval: '1h', description: HOURLY });
/** A chart over the route read from the 1-minute rollup, never finer than its buckets. */
const minutely = (p: PanelSpec): PanelSpec => ({ ...p, interval: '1m', description: MINUTELY });

/** Per lamp in the inner query, summed in the outer: route and group totals of per-lamp figures. */
const sumOfLamps = (
  inner: string,
  groupBy: readonly string[] = [],
  from = 'telemetry',
): InfluxQuery => ({
  query:
    `SELECT sum("v") AS "value" FROM (SELECT ${inner} AS "v" FROM ${source(from)} WHERE ${LAMPS} ` +
    `GROUP BY ${['"lampId"', ...groupBy.map((t) => `"${t}"`)].join(', ')})` +
    (groupBy.length ? ` GROUP BY ${groupBy.map((t) => `"${t}"`).join(', ')}` : ''),
  columns: ['time', 'value'],
  groupBy,
  ...(groupBy.length ? { alias: `$tag_${groupBy[0]}` } : {}),
});

/**
 * Energy per interval from the hourly rollup: the increase of each lamp's counter from one
 * interval's largest reading to the next (nothing between buckets is lost), summed per tag.
 */
const energyPerInterval = (tag: string): InfluxQuery => ({
  query:
    'SELECT sum("kWh") AS "kWh" FROM (SELECT non_negative_difference(max("activeEnergy_max")) AS "kWh" ' +
    `FROM "rollup_1h"."rollup_1h" WHERE ${LAMPS} GROUP BY time($__interval), "lampId", "${tag}") ` +
    `WHERE $timeFilter GROUP BY time($__interval), "${tag}" fill(none)`,
  alias: `$tag_${tag}`,
  columns: ['time', 'kWh'],
  groupBy: [tag],
});

const stat = (title: string, unit: string, q: InfluxQuery, description?: string): PanelSpec => ({
  title,
  type: 'stat',
  w: 6,
  h: 4,
  unit,
  influx: [q],
  options: { reduceOptions: { calcs: ['lastNotNull'], values: false }, colorMode: 'value' },
  ...(description ? { description } : {}),
});

const series = (title: string, unit: string, queries: InfluxQuery[], w = 12): PanelSpec => ({
  title,
  type: 'timeseries',
  w,
  h: 8,
  unit,
  influx: queries,
  defaults: { custom: { spanNulls: false } },
});

const table = (title: string, q: InfluxQuery, w = 24, h = 9): PanelSpec => ({
  title,
  type: 'table',
  w,
  h,
  influx: [{ format: 'table', ...q }],
  options: { showHeader: true },
});

const routeOverview: DashboardSpec = {
  uid: 'gadelys-route-overview',
  title: 'gadelys: route overview',
  file: 'route-overview.json',
  description:
    'Every lamp post on the route: reporting, power, energy, dim levels, supply, alarms.',
  from: 'now-6h',
  refresh: '30s',
  variables: [segmentVar, vendorVar],
  panels: [
    stat(
      'Lamps reporting',
      'none',
      ofRecentLamps('count("readingTs")', 'lamps'),
      'Lamps whose latest reading is within the time range.',
    ),
    stat(
      'Power now',
      'watt',
      ofRecentLamps('sum("activePower")', 'power'),
      'Sum of the latest active power of every lamp reporting in the time range.',
    ),
    stat(
      'Energy in range',
      'kwatth',
      sumOfLamps(ROLLUP_ENERGY, [], 'rollup_1m'),
      `Energy used in the time range: the increase of each lamp counter, summed. ${MINUTELY}`,
    ),
    stat('Alarms raised now', 'none', {
      query:
        'SELECT count("state") AS "alarms" FROM (SELECT last("state") AS "state" FROM "autogen"."alarm" WHERE $timeFilter GROUP BY "alarmId") ' +
        `WHERE "state" = 'raised'`,
      columns: ['time', 'alarms'],
    }),
    minutely(
      series('Power by segment', 'watt', [
        {
          query:
            'SELECT sum("p") AS "power" FROM (SELECT sum("activePower_sum") / sum("activePower_n") AS "p" ' +
            `FROM "rollup_1m"."rollup_1m" WHERE ${LAMPS} GROUP BY time($__interval), "lampId", "segmentId" fill(none)) ` +
            'WHERE $timeFilter GROUP BY time($__interval), "segmentId" fill(none)',
          alias: '$tag_segmentId',
          columns: ['time', 'power'],
          groupBy: ['segmentId'],
        },
      ]),
    ),
    minutely(
      series('Mean dim level by segment', 'percent', [
        {
          query: perInterval(meanOf('actualLevel', 'level'), LAMPS, ', "segmentId"', 'rollup_1m'),
          alias: '$tag_segmentId',
          columns: ['time', 'level'],
          groupBy: ['segmentId'],
        },
      ]),
    ),
    minutely(
      series('Supply voltage over the route', 'volt', [
        {
          query: perInterval(
            `min("supplyVoltage_min") AS "min", ${meanOf('supplyVoltage', 'mean')}, max("supplyVoltage_max") AS "max"`,
            LAMPS,
            '',
            'rollup_1m',
          ),
          columns: ['time', 'min', 'mean', 'max'],
        },
      ]),
    ),
    minutely(
      series('Light level at sensor posts, by segment', 'lux', [
        {
          // Only buckets of posts with a light sensor (the others have no reading to average).
          query: perInterval(
            meanOf('illuminance', 'lux'),
            `${LAMPS} AND "illuminance_n" > 0`,
            ', "segmentId"',
            'rollup_1m',
          ),
          alias: '$tag_segmentId',
          columns: ['time', 'lux'],
          groupBy: ['segmentId'],
          emptyWhen: 'none of the selected posts has a light sensor',
        },
      ]),
    ),
    table('Latest reading of every lamp', {
      query:
        'SELECT "readingTs", "actualLevel" AS "level", "activePower" AS "power", "supplyVoltage" AS "voltage", ' +
        `"gearTemperature" FROM "state"."last_state" WHERE ${LAST} GROUP BY "lampId", "segmentId", "vendorId"`,
      columns: ['time', 'readingTs', 'level', 'power', 'voltage', 'gearTemperature'],
      groupBy: ['lampId', 'segmentId', 'vendorId'],
    }),
  ],
};

const lampDetail: DashboardSpec = {
  uid: 'gadelys-lamp-detail',
  title: 'gadelys: lamp detail',
  file: 'lamp-detail.json',
  description: 'One lamp post: dimming, electrical values, counters, status, events, commands.',
  from: 'now-12h',
  refresh: '30s',
  variables: [segmentVar, vendorVar, lampVar],
  panels: [
    series('Dim level: commanded and measured', 'percent', [
      {
        query: perInterval(
          'mean("targetLevel") AS "target", mean("actualLevel") AS "actual"',
          LAMP,
        ),
        columns: ['time', 'target', 'actual'],
      },
    ]),
    series('Active power', 'watt', [
      {
        query: perInterval('mean("activePower") AS "power"', LAMP),
        columns: ['time', 'power'],
      },
    ]),
    series('Supply voltage and current', 'short', [
      {
        query: perInterval(
          'mean("supplyVoltage") AS "voltage", mean("supplyCurrent") AS "current"',
          LAMP,
        ),
        columns: ['time', 'voltage', 'current'],
      },
    ]),
    series('Power factor and gear temperature', 'short', [
      {
        query: perInterval(
          'mean("powerFactor") AS "powerFactor", max("gearTemperature") AS "gearTemperature"',
          LAMP,
        ),
        columns: ['time', 'powerFactor', 'gearTemperature'],
      },
    ]),
    series(
      'Energy used per interval',
      'kwatth',
      [
        {
          query: perInterval('non_negative_difference(last("activeEnergy")) AS "kWh"', LAMP),
          columns: ['time', 'kWh'],
        },
      ],
      24,
    ),
    hourly(
      series('Active power per hour: mean, min, max', 'watt', [
        {
          query: perInterval(
            `${meanOf('activePower', 'mean')}, min("activePower_min") AS "min", max("activePower_max") AS "max"`,
            LAMP,
            '',
            'rollup_1h',
          ),
          columns: ['time', 'mean', 'min', 'max'],
        },
      ]),
    ),
    hourly(
      series('Readings per hour (availability)', 'none', [
        {
          query: perInterval('sum("count") AS "readings"', LAMP, '', 'rollup_1h'),
          columns: ['time', 'readings'],
        },
      ]),
    ),
    stat('Operating hours', 'h', ofLamp('last("operatingHours")', 'hours')),
    stat('Switch-on count', 'none', ofLamp('last("switchOnCounter")', 'starts')),
    stat('Readings in range', 'none', ofLamp('count("seq")', 'readings')),
    stat('Energy in range', 'kwatth', ofLamp('spread("activeEnergy")', 'kWh')),
    table(
      'Status (online, offline, last will)',
      {
        query: `SELECT "state", "firmware", "reason" FROM "autogen"."status" WHERE ${LAMP} ORDER BY time DESC LIMIT 200`,
        columns: ['time', 'state', 'firmware', 'reason'],
      },
      8,
    ),
    table(
      'Events (TALQ)',
      {
        query: `SELECT "type", "active", "value", "detail" FROM "autogen"."event" WHERE ${LAMP} ORDER BY time DESC LIMIT 200`,
        columns: ['time', 'type', 'active', 'value', 'detail'],
      },
      8,
    ),
    table(
      'Command acknowledgements',
      {
        query: `SELECT "commandId", "status", "reason", "actualLevel" FROM "autogen"."ack" WHERE ${LAMP} ORDER BY time DESC LIMIT 200`,
        columns: ['time', 'commandId', 'status', 'reason', 'actualLevel'],
      },
      8,
    ),
  ],
};

const bars = (title: string, q: InfluxQuery): PanelSpec => ({
  title,
  type: 'bargauge',
  w: 12,
  h: 10,
  unit: 'kwatth',
  influx: [q],
  options: {
    orientation: 'horizontal',
    displayMode: 'basic',
    reduceOptions: { calcs: ['lastNotNull'], values: false },
  },
});

const energy: DashboardSpec = {
  uid: 'gadelys-energy',
  title: 'gadelys: energy by vendor and segment',
  file: 'energy.json',
  description: `Energy used per vendor, per segment and per lamp over the time range. ${HOURLY}`,
  from: 'now-7d',
  refresh: '5m',
  variables: [segmentVar, vendorVar],
  panels: [
    bars('Energy by vendor', sumOfLamps(ROLLUP_ENERGY, ['vendorId'], 'rollup_1h')),
    bars('Energy by segment', sumOfLamps(ROLLUP_ENERGY, ['segmentId'], 'rollup_1h')),
    hourly(series('Energy per interval by vendor', 'kwatth', [energyPerInterval('vendorId')])),
    hourly(series('Energy per interval by segment', 'kwatth', [energyPerInterval('segmentId')])),
    hourly(
      series('Readings per interval by vendor (availability)', 'none', [
        {
          query: perInterval('sum("count") AS "readings"', LAMPS, ', "vendorId"', 'rollup_1h'),
          alias: '$tag_vendorId',
          columns: ['time', 'readings'],
          groupBy: ['vendorId'],
        },
      ]),
    ),
    stat('Energy in range', 'kwatth', sumOfLamps(ROLLUP_ENERGY, [], 'rollup_1h')),
    table('Energy per lamp', {
      query:
        `SELECT ${ROLLUP_ENERGY} AS "kWh", ${meanOf('activePower', 'meanPower')}, ` +
        `sum("count") AS "readings" FROM "rollup_1h"."rollup_1h" WHERE ${LAMPS} GROUP BY "lampId", "segmentId", "vendorId", "modelId"`,
      columns: ['time', 'kWh', 'meanPower', 'readings'],
      groupBy: ['lampId', 'segmentId', 'vendorId', 'modelId'],
    }),
  ],
};

const typeVar: VariableSpec = {
  name: 'type',
  label: 'Alarm type',
  query: 'SHOW TAG VALUES FROM "autogen"."alarm" WITH KEY = "type"',
  multi: true,
  includeAll: true,
};
const ALARMS = `"type" =~ /^$type$/ AND $timeFilter`;

const alarms: DashboardSpec = {
  uid: 'gadelys-alarms',
  title: 'gadelys: alarms',
  file: 'alarms.json',
  description: 'Alarms the processor raised and cleared, and the ones still raised.',
  from: 'now-7d',
  refresh: '1m',
  variables: [typeVar],
  panels: [
    stat('Raised in range', 'none', {
      query: `SELECT count("state") AS "raised" FROM "autogen"."alarm" WHERE "state" = 'raised' AND ${ALARMS}`,
      columns: ['time', 'raised'],
    }),
    stat('Cleared in range', 'none', {
      query: `SELECT count("state") AS "cleared" FROM "autogen"."alarm" WHERE "state" = 'cleared' AND ${ALARMS}`,
      columns: ['time', 'cleared'],
    }),
    {
      title: 'Alarms raised, by type',
      type: 'timeseries',
      w: 12,
      h: 8,
      unit: 'none',
      influx: [
        {
          query: `SELECT count("state") AS "raised" FROM "autogen"."alarm" WHERE "state" = 'raised' AND ${ALARMS} GROUP BY time($__interval), "type" fill(none)`,
          alias: '$tag_type',
          columns: ['time', 'raised'],
          groupBy: ['type'],
        },
      ],
      defaults: { custom: { drawStyle: 'bars', stacking: { mode: 'normal' } } },
    },
    table('Raised now', {
      query:
        'SELECT "state", "severity", "detail" FROM (SELECT last("state") AS "state", last("severity") AS "severity", ' +
        `last("detail") AS "detail" FROM "autogen"."alarm" WHERE ${ALARMS} GROUP BY "alarmId", "type", "lampId", "segmentId") ` +
        `WHERE "state" = 'raised' GROUP BY "alarmId", "type", "lampId", "segmentId"`,
      columns: ['time', 'state', 'severity', 'detail'],
      groupBy: ['alarmId', 'type', 'lampId', 'segmentId'],
    }),
    table('Every transition', {
      query:
        'SELECT "state", "severity", "type", "lampId", "segmentId", "detail" FROM "autogen"."alarm" ' +
        `WHERE ${ALARMS} ORDER BY time DESC LIMIT 1000`,
      columns: ['time', 'state', 'severity', 'type', 'lampId', 'segmentId', 'detail'],
    }),
  ],
};

const prom = (title: string, unit: string, expr: string, legend?: string, w = 12): PanelSpec => ({
  title,
  type: 'timeseries',
  w,
  h: 7,
  unit,
  prometheus: [{ expr, ...(legend ? { legend } : {}) }],
});

/** A 0/1 health figure: red at 0, green at 1, shown as down/up. */
const upStat = (title: string, expr: string, legend: string): PanelSpec => ({
  title,
  type: 'stat',
  w: 8,
  h: 4,
  unit: 'none',
  prometheus: [{ expr, legend }],
  options: { reduceOptions: { calcs: ['lastNotNull'], values: false }, colorMode: 'background' },
  defaults: {
    mappings: [{ type: 'value', options: { '0': { text: 'down' }, '1': { text: 'up' } } }],
    thresholds: {
      mode: 'absolute',
      steps: [
        { color: 'red', value: null },
        { color: 'green', value: 1 },
      ],
    },
  },
});

const services: DashboardSpec = {
  uid: 'gadelys-services',
  title: 'gadelys: services',
  file: 'services.json',
  description: 'The broker and the processor from their own /metrics (Prometheus).',
  from: 'now-3h',
  refresh: '30s',
  variables: [],
  panels: [
    upStat('Targets up', 'up{job=~"gadelys-.*"}', '{{job}} {{instance}}'),
    upStat('Store up', 'gadelys_processor_store_up', '{{instance}}'),
    {
      title: 'Lamps online',
      type: 'stat',
      w: 8,
      h: 4,
      unit: 'none',
      prometheus: [{ expr: 'gadelys_broker_lamps_online', legend: '{{instance}}' }],
      options: { reduceOptions: { calcs: ['lastNotNull'], values: false } },
    },
    prom(
      'Readings accepted',
      'reqps',
      'sum by (instance) (rate(gadelys_processor_readings_total[$__rate_interval]))',
      '{{instance}}',
    ),
    prom(
      'Records stored, by kind',
      'reqps',
      'sum by (kind) (rate(gadelys_processor_stored_records_total[$__rate_interval]))',
      '{{kind}}',
    ),
    prom(
      'Broker messages in, by kind',
      'reqps',
      'sum by (kind) (rate(gadelys_broker_messages_in_total[$__rate_interval]))',
      '{{kind}}',
    ),
    prom(
      'Broker messages out, by kind',
      'reqps',
      'sum by (kind) (rate(gadelys_broker_messages_out_total[$__rate_interval]))',
      '{{kind}}',
    ),
    prom(
      'Broker connections, by transport',
      'none',
      'sum by (transport) (gadelys_broker_connections)',
      '{{transport}}',
    ),
    prom(
      'Store write latency (p95)',
      's',
      'histogram_quantile(0.95, sum by (le) (rate(gadelys_processor_store_write_seconds_bucket[$__rate_interval])))',
      'p95',
    ),
    prom('Spool depth', 'bytes', 'gadelys_processor_spool_bytes', '{{instance}}'),
    prom('Readings held in memory', 'none', 'gadelys_processor_memory_readings', '{{instance}}'),
    prom(
      'Rejected messages, by reason',
      'reqps',
      'sum by (code) (rate(gadelys_processor_rejected_total[$__rate_interval]))',
      '{{code}}',
    ),
    prom(
      'Broker refusals, by reason',
      'reqps',
      'sum by (reason) (rate(gadelys_broker_refusals_total[$__rate_interval]))',
      '{{reason}}',
    ),
    prom(
      'Store errors, by retryable',
      'reqps',
      'sum by (retryable) (rate(gadelys_processor_store_errors_total[$__rate_interval]))',
      'retryable={{retryable}}',
    ),
    prom(
      'Active alarms, by type',
      'none',
      'sum by (type) (gadelys_processor_active_alarms)',
      '{{type}}',
    ),
    prom(
      'Broker resident memory',
      'bytes',
      'gadelys_broker_process_resident_memory_bytes',
      'resident {{instance}}',
    ),
  ],
};

export const GRAFANA_DASHBOARDS: readonly DashboardSpec[] = [
  routeOverview,
  lampDetail,
  energy,
  alarms,
  services,
];

/**
 * The InfluxDB layout (shared/storage/influxdb/layout.ts), pure: which policy or bucket each
 * measurement lives in, and the statements that bring 1.x's retention policies to it.
 */
import { describe, expect, it } from 'vitest';
import {
  bucketRetentionRules,
  DEFAULT_INFLUX_RETENTION,
  influxLayout,
  parseRpDuration,
  retentionStatements,
  rpDuration,
  sourceOf,
  wantedBuckets,
  writeBucket,
} from '../../shared/storage/influxdb/layout.ts';
import { v1WritePath } from '../../shared/storage/influxdb/transport.ts';

const DAY = 86_400_000;

describe('influx layout', () => {
  it('puts each resolution in its own policy on 1.x, the kept measurements in autogen', () => {
    const l = influxLayout(1, 'gadelys', undefined);
    expect(sourceOf(l, 'telemetry')).toBe('"gadelys"."raw"."telemetry"');
    expect(sourceOf(l, 'rollup_1m')).toBe('"gadelys"."rollup_1m"."rollup_1m"');
    expect(sourceOf(l, 'rollup_1h')).toBe('"gadelys"."rollup_1h"."rollup_1h"');
    expect(sourceOf(l, 'last_state')).toBe('"gadelys"."state"."last_state"');
    expect(sourceOf(l, 'rollup_state')).toBe('"gadelys"."state"."rollup_state"');
    expect(sourceOf(l, 'alarm')).toBe('"gadelys"."autogen"."alarm"');
    expect(writeBucket(l, 'telemetry', 1)).toBe('gadelys/raw');
    expect(writeBucket(l, 'event', 1)).toBe('gadelys/autogen');
    // INFLUX_RETENTION_POLICY names the kept measurements' policy.
    expect(sourceOf(influxLayout(1, 'g', 'two_years'), 'status')).toBe('"g"."two_years"."status"');
  });

  it('uses buckets <bucket>/<policy> on 2.x, the bucket itself for kept measurements', () => {
    const l = influxLayout(2, 'gadelys', 'ignored');
    expect(writeBucket(l, 'telemetry', 2)).toBe('gadelys/raw');
    expect(writeBucket(l, 'last_state', 2)).toBe('gadelys/state');
    expect(writeBucket(l, 'ack', 2)).toBe('gadelys');
    // Read through the virtual DBRP mapping of each bucket ("gadelys/raw": db gadelys, rp raw).
    expect(sourceOf(l, 'telemetry')).toBe('"gadelys"."raw"."telemetry"');
    expect(sourceOf(l, 'ack')).toBe('"gadelys"."autogen"."ack"');
    expect(wantedBuckets('gadelys', DEFAULT_INFLUX_RETENTION).map((b) => b.name)).toEqual([
      'gadelys/raw',
      'gadelys/rollup_1m',
      'gadelys/rollup_1h',
      'gadelys/state',
    ]);
  });

  it('keeps one database on 3.x (no retention policies)', () => {
    const l = influxLayout(3, 'gadelys', undefined);
    expect(sourceOf(l, 'telemetry')).toBe('"telemetry"');
    expect(writeBucket(l, 'telemetry', 3)).toBe('gadelys');
  });

  it('maps a db/rp bucket to /write?db=&rp= before 1.8', () => {
    expect(
      v1WritePath('/api/v2/write?org=&bucket=gadelys%2Frollup_1m&precision=ms', { database: 'x' }),
    ).toBe('/write?db=gadelys&precision=ms&rp=rollup_1m');
  });

  it('turns retentions into InfluxQL durations and back', () => {
    expect(rpDuration(0)).toBe('INF');
    expect(rpDuration(14 * DAY)).toBe('336h');
    expect(rpDuration(60_000)).toBe('1h');
    expect(parseRpDuration('336h0m0s')).toBe(14 * DAY);
    expect(parseRpDuration('0s')).toBe(0);
    expect(bucketRetentionRules(0)).toEqual([{ type: 'expire', everySeconds: 0 }]);
    expect(bucketRetentionRules(14 * DAY)).toEqual([{ type: 'expire', everySeconds: 14 * 86_400 }]);
  });

  it('creates what is missing, makes raw the default, and is idempotent', () => {
    const created = retentionStatements(
      'g',
      [{ name: 'autogen', durationMs: 0, isDefault: true }],
      DEFAULT_INFLUX_RETENTION,
      false,
    );
    expect(created).toEqual([
      'CREATE RETENTION POLICY "raw" ON "g" DURATION 336h REPLICATION 1 DEFAULT',
      'CREATE RETENTION POLICY "rollup_1m" ON "g" DURATION 2160h REPLICATION 1',
      'CREATE RETENTION POLICY "rollup_1h" ON "g" DURATION INF REPLICATION 1',
      'CREATE RETENTION POLICY "state" ON "g" DURATION INF REPLICATION 1',
    ]);
    const inPlace = [
      { name: 'autogen', durationMs: 0, isDefault: false },
      { name: 'raw', durationMs: 14 * DAY, isDefault: true },
      { name: 'rollup_1m', durationMs: 90 * DAY, isDefault: false },
      { name: 'rollup_1h', durationMs: 0, isDefault: false },
      { name: 'state', durationMs: 0, isDefault: false },
    ];
    expect(retentionStatements('g', inPlace, DEFAULT_INFLUX_RETENTION, true)).toEqual([]);
    // A reader (no retention stated) leaves durations alone; the processor's retention alters.
    const keep7 = { raw: 7 * DAY, '1m': 400 * DAY, '1h': 0 };
    expect(retentionStatements('g', inPlace, keep7, false)).toEqual([]);
    expect(retentionStatements('g', inPlace, keep7, true)).toEqual([
      'ALTER RETENTION POLICY "raw" ON "g" DURATION 168h',
      'ALTER RETENTION POLICY "rollup_1m" ON "g" DURATION 9600h',
    ]);
    // The state policy holds time-0 points: INF whatever was set by hand.
    const stateShort = inPlace.map((p) => (p.name === 'state' ? { ...p, durationMs: DAY } : p));
    expect(retentionStatements('g', stateShort, DEFAULT_INFLUX_RETENTION, false)).toEqual([
      'ALTER RETENTION POLICY "state" ON "g" DURATION INF',
    ]);
  });
});

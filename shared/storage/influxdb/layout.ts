/**
 * Where each measurement lives in InfluxDB, so that each resolution has its own retention and
 * the processor's time-0 points (last_state, rollup_state) sit where no retention refuses them.
 *
 * - 1.x: one retention policy per resolution in the database: `raw` (telemetry; the database's
 *   DEFAULT, so unqualified `FROM "telemetry"` still reads it), `rollup_1m`, `rollup_1h`, and
 *   `state` (INF: last_state, rollup_state). Events, status, acks and alarms stay where they
 *   always were: `INFLUX_RETENTION_POLICY`, or `autogen`.
 * - 2.x: one bucket per resolution, named `<bucket>/<rp>` with the same policy names: 2.x gives
 *   every bucket a virtual DBRP mapping, and a name with a slash maps to database `<bucket>`,
 *   retention policy `<rp>` (docs: "Database and retention policy mapping"), so the InfluxQL
 *   `"<bucket>"."raw"."telemetry"` reads the `<bucket>/raw` bucket. Events etc. stay in `<bucket>`.
 * - 3.x: one database (no retention policies): everything unqualified, as before.
 *
 * Pure: builds names, InfluxQL statements and bucket bodies; the adapter sends them.
 */
import type { Resolution } from '../port.ts';
import type { Measurement } from '../schema.ts';
import { quoteIdent } from './influxql.ts';

/** Retention policy (1.x) or bucket suffix (2.x) per resolution, plus `state` (kept forever). */
export const RETENTION_POLICY = {
  raw: 'raw',
  '1m': 'rollup_1m',
  '1h': 'rollup_1h',
  state: 'state',
} as const;

const DAY_MS = 86_400_000;

/** How long each resolution is kept, ms; 0 keeps it forever. */
export type InfluxRetention = Record<Resolution, number>;

/**
 * What a store opened without the processor's retention creates missing policies with (the
 * processor's defaults: RETENTION_RAW_DAYS 14, RETENTION_1M_DAYS 90, RETENTION_1H_DAYS 0).
 */
export const DEFAULT_INFLUX_RETENTION: InfluxRetention = {
  raw: 14 * DAY_MS,
  '1m': 90 * DAY_MS,
  '1h': 0,
};

/** Smallest retention InfluxDB accepts (1.x: "retention policy duration must be at least 1h0m0s"). */
export const MIN_RETENTION_MS = 3_600_000;

export type LayoutKind = 'split' | 'single';

/** Retention policies (1.x) or buckets (2.x) per resolution from 1.x and 2.x on; 3.x has neither. */
export const layoutKind = (major: number): LayoutKind =>
  major === 1 || major === 2 ? 'split' : 'single';

export interface InfluxLayout {
  kind: LayoutKind;
  database: string;
  /** Retention policy of each measurement; undefined: the database's default (unqualified). */
  rpOf(m: Measurement): string | undefined;
}

/**
 * Which resolution's policy a measurement lives in (string keys: a measurement added to the
 * schema and not listed here is kept with events, status, acks and alarms).
 */
const RESOLUTION_OF: Record<string, keyof typeof RETENTION_POLICY> = {
  telemetry: 'raw',
  rollup_1m: '1m',
  rollup_1h: '1h',
  // The steady-state tier is hourly, kept as long as the hourly rollups.
  steady_1h: '1h',
  last_state: 'state',
  rollup_state: 'state',
};

export function influxLayout(
  major: number,
  database: string,
  keptRp: string | undefined,
): InfluxLayout {
  const kind = layoutKind(major);
  if (kind === 'single') return { kind, database, rpOf: () => keptRp };
  // 1.x with raw as the DEFAULT policy: kept measurements must name theirs (autogen is what
  // CREATE DATABASE made the default before). 2.x: the bucket itself, mapped as `<db>/autogen`
  // (1.x policy names mean nothing there).
  const kept = major === 2 ? 'autogen' : (keptRp ?? 'autogen');
  return {
    kind,
    database,
    rpOf: (m) => {
      const r = RESOLUTION_OF[m];
      return r === undefined ? kept : RETENTION_POLICY[r];
    },
  };
}

/** The InfluxQL source of a measurement: `"db"."rp"."m"`, or `"m"` in the default policy. */
export function sourceOf(layout: InfluxLayout, m: Measurement): string {
  const rp = layout.rpOf(m);
  return rp === undefined
    ? quoteIdent(m)
    : `${quoteIdent(layout.database)}.${quoteIdent(rp)}.${quoteIdent(m)}`;
}

/**
 * The `bucket` parameter of `/api/v2/write` for a measurement: `db/rp` (the form 1.8+ and 2.x's
 * virtual mappings take; transport.ts maps it to `/write?db=&rp=` before 1.8), or `db`.
 * On 2.x the kept measurements go to the bucket itself (`autogen` there is the bucket's name).
 */
export function writeBucket(layout: InfluxLayout, m: Measurement, major: number): string {
  const rp = layout.rpOf(m);
  if (rp === undefined || (major === 2 && rp === 'autogen')) return layout.database;
  return `${layout.database}/${rp}`;
}

/** An InfluxQL duration for a retention in ms: `INF` for 0, else whole hours (at least 1 h). */
export function rpDuration(ms: number): string {
  if (ms <= 0) return 'INF';
  return `${Math.max(1, Math.ceil(ms / MIN_RETENTION_MS))}h`;
}

/** `SHOW RETENTION POLICIES` durations ("336h0m0s", "0s" for INF) back to ms. */
export function parseRpDuration(text: string): number {
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(h|m|s)/g))
    ms += Number(n) * (unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : 1_000);
  return ms;
}

/** Whether two retentions are the same policy once rounded as `rpDuration` rounds. */
const sameDuration = (a: number, b: number) => rpDuration(a) === rpDuration(b);

export interface ExistingPolicy {
  name: string;
  durationMs: number;
  isDefault: boolean;
}

/** The policies a split layout needs on 1.x, with the duration each should have. */
export function wantedPolicies(retention: InfluxRetention): { name: string; durationMs: number }[] {
  return [
    { name: RETENTION_POLICY.raw, durationMs: retention.raw },
    { name: RETENTION_POLICY['1m'], durationMs: retention['1m'] },
    { name: RETENTION_POLICY['1h'], durationMs: retention['1h'] },
    { name: RETENTION_POLICY.state, durationMs: 0 },
  ];
}

/**
 * The InfluxQL statements that bring 1.x's policies to the split layout: create what is
 * missing, make `raw` the default, and (only with `alter`, i.e. when the processor states its
 * retention) change durations that differ. Empty when all is in place: idempotent.
 */
export function retentionStatements(
  database: string,
  existing: readonly ExistingPolicy[],
  retention: InfluxRetention,
  alter: boolean,
): string[] {
  const out: string[] = [];
  const on = ` ON ${quoteIdent(database)}`;
  for (const want of wantedPolicies(retention)) {
    const has = existing.find((p) => p.name === want.name);
    const makeDefault = want.name === RETENTION_POLICY.raw && !has?.isDefault;
    const duration = rpDuration(want.durationMs);
    if (!has) {
      out.push(
        `CREATE RETENTION POLICY ${quoteIdent(want.name)}${on} DURATION ${duration} REPLICATION 1` +
          (makeDefault ? ' DEFAULT' : ''),
      );
      continue;
    }
    const changes: string[] = [];
    // The state policy holds time-0 points: it stays INF whatever was set by hand.
    if (
      (alter || want.name === RETENTION_POLICY.state) &&
      !sameDuration(has.durationMs, want.durationMs)
    )
      changes.push(`DURATION ${duration}`);
    if (makeDefault) changes.push('DEFAULT');
    if (changes.length > 0)
      out.push(`ALTER RETENTION POLICY ${quoteIdent(want.name)}${on} ${changes.join(' ')}`);
  }
  return out;
}

/** A 2.x bucket's retention rules for a retention in ms (`everySeconds: 0` is forever). */
export function bucketRetentionRules(ms: number): { type: 'expire'; everySeconds: number }[] {
  return [{ type: 'expire', everySeconds: ms <= 0 ? 0 : Math.max(3_600, Math.ceil(ms / 1_000)) }];
}

/** The buckets a split layout needs on 2.x: name and retention. */
export function wantedBuckets(
  bucket: string,
  retention: InfluxRetention,
): { name: string; durationMs: number }[] {
  return wantedPolicies(retention).map((p) => ({
    name: `${bucket}/${p.name}`,
    durationMs: p.durationMs,
  }));
}

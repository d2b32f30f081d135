/**
 * The InfluxDB adapter. Writes go through the client's transport (gzip above a threshold); reads
 * use InfluxQL over `/query`, the one read path InfluxDB 1.x, 2.x (virtual DBRP from the bucket
 * name) and 3.x all serve. On 1.x before 1.8 the write path is mapped to `/write?db=`.
 */
import { HttpError, InfluxDB, setLogger } from '@influxdata/influxdb-client';
import type { Alarm } from '../../contract/alarms.ts';
import {
  type EncodedRecords,
  type PartialRow,
  type SteadyRow,
  type Store,
  type StoredAck,
  type StoredEvent,
  type StoredTelemetry,
  StoreError,
  type WriteKind,
} from '../port.ts';
import { parseQuery } from '../queries.ts';
import { replayFrames } from '../replay.ts';
import { aggregateRows, composedEnergy, composedHistory, RESOLUTION_MS } from '../rollup.ts';
import {
  compact,
  encodeLines,
  MEASUREMENTS,
  type Measurement,
  type PrefixCache,
} from '../schema.ts';
import {
  fromLastStateRows,
  ROLLUP_TABLE,
  rollupStateFromRows,
  rollupStateRecords,
  STATUS_LOOKBACK_MS,
  sourceTable,
  toLastStateRecords,
} from '../storedRows.ts';
import {
  acksQuery,
  alarmsQuery,
  deleteBeforeQuery,
  eventsQuery,
  lastStateQuery,
  latestQuery,
  partialsQuery,
  quoteIdent,
  rowsQuery,
  statusBeforeQuery,
  statusChangesQuery,
  steadyQuery,
} from './influxql.ts';
import {
  bucketRetentionRules,
  DEFAULT_INFLUX_RETENTION,
  type ExistingPolicy,
  type InfluxRetention,
  influxLayout,
  parseRpDuration,
  retentionStatements,
  sourceOf,
  wantedBuckets,
  writeBucket,
} from './layout.ts';
import { v1Transport } from './transport.ts';

const NEWLINE = Buffer.from('\n');
/**
 * Statistics in one aggregate read above which the rows are read and aggregated here. Measured
 * on 1.6.7, a minute of the route (16,800 readings): 12 fields x 5 statistics 2.1 s as InfluxQL
 * aggregates, 0.26 s to read the rows; one field x 4 statistics 0.18 s.
 */
const WIDE_PARTIALS = 8;
/** The one partial-write answer that is not an error of the batch (see writeBodies). */
const BEYOND_RETENTION = /partial write: points beyond retention policy dropped=\d+"?\s*\}?\s*$/;

export interface InfluxStoreOptions {
  url: string;
  /** 1.x database (3.x database, 2.x bucket: the name /query maps through DBRP). */
  database: string;
  /** 2.x/3.x API token, or `user:password` on 1.x. */
  token?: string;
  /** 2.x organisation; ignored elsewhere. */
  org?: string;
  /**
   * 1.x retention policy of events, status, acks and alarms (`autogen` when unset). Telemetry,
   * rollups and the processor's state have their own (layout.ts).
   */
  retentionPolicy?: string;
  /**
   * How long each resolution is kept (ms, 0: forever), as the processor's RETENTION_* say. Given,
   * the retention policies (1.x) or buckets (2.x) are set to it at start; absent (a reader such
   * as the gateway), missing ones are created with DEFAULT_INFLUX_RETENTION and existing ones
   * are left as they are.
   */
  retention?: InfluxRetention;
  /** Bodies larger than this many bytes are gzipped; default 1,000, none to a loopback server. */
  gzipThreshold?: number;
  /** Largest write the caller makes, in lines (a body never holds more). */
  maxLinesPerWrite?: number;
  /** Writes sent at once at most; more calls queue. */
  concurrentWrites?: number;
  /**
   * Create what is missing at start: on 1.x the database and its retention policies, on 2.x the
   * buckets per resolution (needs a token allowed to; else create them as docs/storage.md says).
   */
  createDatabase?: boolean;
  timeoutMs?: number;
}

export const INFLUX_DEFAULTS = {
  gzipThreshold: 1_000,
  maxLinesPerWrite: 50_000,
  concurrentWrites: 2,
  timeoutMs: 10_000,
} as const;

export interface InfluxVersion {
  raw: string;
  major: number;
  minor: number;
}

/** Parse the X-Influxdb-Version header ("1.6.7~rc0", "v2.7.4", "3.0.1"). */
export function parseInfluxVersion(raw: string): InfluxVersion {
  const m = /(\d+)\.(\d+)/.exec(raw);
  return { raw, major: m ? Number(m[1]) : 0, minor: m ? Number(m[2]) : 0 };
}

/**
 * Whether the server is on this machine. Over loopback gzip only costs CPU on both sides (the
 * processor's zlib threads share the cores with influxd), so bodies go uncompressed there.
 */
export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}

// The client logs retries and failures itself; we report through StoreError instead.
setLogger({ error: () => undefined, warn: () => undefined });

/**
 * Whether a write answered with this HTTP status may succeed later. Only answers about the data
 * itself are final: 400 (bad line protocol, field type conflict), 413 (too large), 422
 * (unprocessable). Everything else (401/403 after a token rotation, 404 for a database not made
 * yet, 408, 429, 5xx) is the server's or its configuration's, and the batch waits in the spool for
 * it to be fixed: setting it aside would move the whole spool to rejected.jsonl.
 */
export function retryableWriteStatus(status: number): boolean {
  return status !== 400 && status !== 413 && status !== 422;
}

function toStoreError(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  if (err instanceof HttpError) {
    const retryable = retryableWriteStatus(err.statusCode);
    return new StoreError(
      `${what}: HTTP ${err.statusCode} ${err.body ?? err.message}`.slice(0, 500),
      retryable,
      {
        cause: err,
      },
    );
  }
  return new StoreError(`${what}: ${(err as Error)?.message ?? String(err)}`, true, { cause: err });
}

type Series = {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
};

function rows(series: Series): Record<string, unknown>[] {
  return series.values.map((v) => {
    const row: Record<string, unknown> = { ...series.tags };
    series.columns.forEach((c, i) => {
      row[c === 'time' ? 'ts' : c] = v[i];
    });
    return compact(row);
  });
}

export async function createInfluxStore(opts: InfluxStoreOptions): Promise<Store> {
  const url = opts.url.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? INFLUX_DEFAULTS.timeoutMs;
  const maxLines = opts.maxLinesPerWrite ?? INFLUX_DEFAULTS.maxLinesPerWrite;
  const [user, ...rest] = (opts.token ?? '').split(':');
  const headers: Record<string, string> = {};
  let version = parseInfluxVersion('unknown');

  const ping = async (): Promise<InfluxVersion> => {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(timeoutMs) });
    return parseInfluxVersion(res.headers.get('x-influxdb-version') ?? 'unknown');
  };
  try {
    version = await ping();
  } catch (err) {
    throw toStoreError(err, `InfluxDB at ${url} is not reachable`);
  }
  const legacy = version.major === 1 && version.minor < 8;
  if (opts.token) {
    headers.authorization =
      legacy && rest.length > 0
        ? `Basic ${Buffer.from(opts.token).toString('base64')}`
        : `Token ${opts.token}`;
  }

  const query = async (q: string, method: 'GET' | 'POST' = 'GET'): Promise<Series[]> => {
    const params = new URLSearchParams({ db: opts.database, epoch: 'ms', q });
    if (opts.retentionPolicy) params.set('rp', opts.retentionPolicy);
    let res: Response;
    try {
      res =
        method === 'GET'
          ? await fetch(`${url}/query?${params}`, {
              headers,
              signal: AbortSignal.timeout(timeoutMs),
            })
          : await fetch(`${url}/query`, {
              method,
              headers,
              body: params,
              signal: AbortSignal.timeout(timeoutMs),
            });
    } catch (err) {
      throw toStoreError(err, 'InfluxDB query');
    }
    const text = await res.text();
    let body: { results?: { series?: Series[]; error?: string }[]; error?: string };
    try {
      body = JSON.parse(text);
    } catch {
      throw new StoreError(
        `InfluxDB query: HTTP ${res.status} ${text.slice(0, 200)}`,
        res.status >= 500,
      );
    }
    const error = body.error ?? body.results?.[0]?.error;
    if (error) throw new StoreError(`InfluxDB query: ${error}`, res.status >= 500);
    return body.results?.[0]?.series ?? [];
  };

  const layout = influxLayout(version.major, opts.database, opts.retentionPolicy);
  const src = (m: Measurement) => sourceOf(layout, m);
  const retention = opts.retention ?? DEFAULT_INFLUX_RETENTION;

  // 2.x management API (api/v2/orgs, api/v2/buckets): JSON in and out, the token's header.
  const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    let res: Response;
    try {
      res = await fetch(`${url}${path}`, {
        method: init.method ?? 'GET',
        headers: { ...headers, 'content-type': 'application/json' },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw toStoreError(err, `InfluxDB ${path}`);
    }
    const text = await res.text();
    if (!res.ok)
      throw toStoreError(new HttpError(res.status, res.statusText, text), `InfluxDB ${path}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  type Bucket = { id: string; name: string; retentionRules?: { everySeconds?: number }[] };
  const ensureBuckets = async () => {
    const org = opts.org ?? '';
    const orgs = (await api(`/api/v2/orgs?org=${encodeURIComponent(org)}`)).orgs as
      | { id: string }[]
      | undefined;
    const orgID = orgs?.[0]?.id;
    if (!orgID)
      throw new StoreError(`InfluxDB: organisation "${org}" not found (INFLUX_ORG)`, false);
    for (const want of wantedBuckets(opts.database, retention)) {
      const found = (
        await api(`/api/v2/buckets?orgID=${orgID}&name=${encodeURIComponent(want.name)}`)
      ).buckets as Bucket[] | undefined;
      const has = found?.find((b) => b.name === want.name);
      const rules = bucketRetentionRules(want.durationMs);
      if (!has) {
        try {
          await api('/api/v2/buckets', {
            method: 'POST',
            body: { orgID, name: want.name, retentionRules: rules },
          });
        } catch (err) {
          // 422 conflict: another service created it meanwhile.
          if (!(err instanceof StoreError && /HTTP 422/.test(err.message))) throw err;
        }
      } else if (
        (opts.retention || want.durationMs === 0) &&
        (has.retentionRules?.[0]?.everySeconds ?? 0) !== rules[0]?.everySeconds
      ) {
        await api(`/api/v2/buckets/${has.id}`, {
          method: 'PATCH',
          body: { retentionRules: rules },
        });
      }
    }
  };
  const ensurePolicies = async () => {
    const series = await query(`SHOW RETENTION POLICIES ON ${quoteIdent(opts.database)}`);
    const existing: ExistingPolicy[] = series.flatMap(rows).map((r) => ({
      name: String(r.name),
      durationMs: parseRpDuration(String(r.duration ?? '0s')),
      isDefault: r.default === true,
    }));
    for (const q of retentionStatements(opts.database, existing, retention, !!opts.retention))
      await query(q, 'POST');
  };
  const ensureDatabase = async () => {
    if (opts.createDatabase === false) return;
    if (version.major === 1) {
      await query(`CREATE DATABASE ${quoteIdent(opts.database)}`, 'POST');
      await ensurePolicies();
    } else if (version.major === 2) {
      await ensureBuckets();
    }
  };
  await ensureDatabase();

  const base = new InfluxDB({ url, token: legacy ? undefined : opts.token, timeout: timeoutMs });
  const client = legacy
    ? new InfluxDB({
        url,
        timeout: timeoutMs,
        transport: v1Transport(base.transport, {
          database: opts.database,
          retentionPolicy: opts.retentionPolicy,
          username: opts.token && rest.length > 0 ? user : undefined,
          password: rest.join(':'),
        }),
      })
    : base;
  // We batch and retry ourselves (the processor's spool), so the write path needs exactly one
  // POST per body, no buffer, timer or retries of its own: that is the client's transport, the
  // same one (and on 1.x the same `/write?db=` mapping) the WriteApi would use. The WriteApi
  // configured that way added only a JavaScript UTF-8 byte count of every body, ~7 % of the
  // processor's CPU in the batched ingest profile (docs/benchmarks/ingest.md).
  // One write path per measurement: each goes to its resolution's policy or bucket (layout.ts).
  const writePaths = new Map<Measurement, string>();
  const writePathOf = (m: Measurement) => {
    let path = writePaths.get(m);
    if (!path) {
      path =
        `/api/v2/write?org=${encodeURIComponent(opts.org ?? '')}` +
        `&bucket=${encodeURIComponent(writeBucket(layout, m, version.major))}&precision=ms`;
      writePaths.set(m, path);
    }
    return path;
  };
  const sendOptions = {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    gzipThreshold:
      opts.gzipThreshold ?? (isLoopback(url) ? undefined : INFLUX_DEFAULTS.gzipThreshold),
  };
  // The Node transport sends `Buffer.from(body, 'utf-8')`, which takes a Buffer as well: encoded
  // bodies go out as the bytes they are, never turned back into a string (see EncodedRecords).
  const send = (path: string, body: string | Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      let status: number | undefined;
      client.transport.send(path, body as string, sendOptions, {
        responseStarted(_headers, statusCode) {
          status = statusCode;
        },
        error: reject,
        complete() {
          if (status === undefined || status === 204 || status === 200 || status === 201) resolve();
          else reject(new HttpError(status, `unexpected HTTP ${status} on write`));
        },
      });
    });
  const writers = Array.from(
    { length: Math.max(1, opts.concurrentWrites ?? INFLUX_DEFAULTS.concurrentWrites) },
    () => ({ chain: Promise.resolve() as Promise<void>, queued: 0 }),
  );
  let needsDatabase = false;

  const writeBodies = (path: string, bodies: (string | Buffer)[]): Promise<void> => {
    // The least busy lane; each runs its writes one after the other.
    const w = writers.reduce((a, b) => (b.queued < a.queued ? b : a));
    const run = async () => {
      if (needsDatabase) {
        await ensureDatabase();
        needsDatabase = false;
      }
      for (const body of bodies) {
        try {
          await send(path, body);
        } catch (err) {
          // Points older than their policy's retention are dropped and the rest stored (1.x: 400,
          // 2.x: 422 "partial write: points beyond retention policy dropped=N"): what retention
          // means, not a batch to set aside.
          if (err instanceof HttpError && BEYOND_RETENTION.test(err.body ?? '')) continue;
          if (err instanceof HttpError && err.statusCode === 404) needsDatabase = true;
          throw toStoreError(err, 'InfluxDB write');
        }
      }
    };
    w.queued++;
    const next = w.chain.then(run, run).finally(() => {
      w.queued--;
    });
    w.chain = next.catch(() => undefined);
    return next;
  };
  const prefixes: PrefixCache = new Map();
  const write = (measurement: Measurement, records: readonly { ts: number }[]) => {
    const bodies: Buffer[] = [];
    for (let i = 0; i < records.length; i += maxLines) {
      const part = i === 0 && records.length <= maxLines ? records : records.slice(i, i + maxLines);
      const { body } = encodeLines(measurement, part, prefixes);
      if (body.length > 0) bodies.push(body as Buffer);
    }
    return bodies.length > 0 ? writeBodies(writePathOf(measurement), bodies) : Promise.resolve();
  };
  const encode = (kind: WriteKind, records: readonly object[]): EncodedRecords =>
    encodeLines(MEASUREMENTS[kind], records, prefixes);
  // Encoded parts joined into bodies of at most `maxLines` records each.
  const writeEncoded = (kind: WriteKind, parts: readonly EncodedRecords[]) => {
    const bodies: Buffer[] = [];
    let group: Uint8Array[] = [];
    let lines = 0;
    for (const p of parts) {
      if (p.body.length === 0) continue;
      if (lines > 0 && lines + p.count > maxLines) {
        bodies.push(Buffer.concat(group));
        [group, lines] = [[], 0];
      }
      if (group.length > 0) group.push(NEWLINE);
      group.push(p.body);
      lines += p.count;
    }
    if (group.length > 0) bodies.push(Buffer.concat(group));
    return bodies.length > 0
      ? writeBodies(writePathOf(MEASUREMENTS[kind]), bodies)
      : Promise.resolve();
  };

  const store: Store = {
    kind: 'influxdb',
    writeTelemetry: (points) => write('telemetry', points),
    writeEvents: (events) => write('event', events),
    writeStatus: (status) => write('status', status),
    writeAcks: (acks) => write('ack', acks),
    writeAlarms: (alarms) => write('alarm', alarms),
    encode,
    writeEncoded,

    async latest(filter, window) {
      const w = window ? parseQuery.window({ ...window }) : undefined;
      const series = await query(latestQuery(parseQuery.filter(filter), w, src));
      return series.flatMap(rows) as unknown as StoredTelemetry[];
    },
    async lastState(filter) {
      const series = await query(lastStateQuery(parseQuery.filter(filter), src));
      return fromLastStateRows(series.flatMap(rows));
    },
    writeLastState: (readings) => write('last_state', toLastStateRecords(readings) as never),
    async partials(q) {
      const v = parseQuery.partials(q);
      // Many fields at once (rollups): the rows, aggregated here, cost a fraction of InfluxQL's
      // aggregates (one iterator per function and series).
      // A rollup read in buckets of its own size holds one row per lamp and bucket: InfluxQL's
      // GROUP BY time would only open a window per row (a segment over 30 days at 1 h: 20,000).
      const ownBuckets = v.source !== 'raw' && v.bucketMs === RESOLUTION_MS[v.source];
      if (ownBuckets || v.fields.length * v.stats.length > WIDE_PARTIALS)
        return aggregateRows((await query(rowsQuery(v, src))).flatMap(rows), v);
      const series = await query(partialsQuery(v, src));
      const out: PartialRow[] = [];
      for (const s of series)
        for (const row of rows(s)) {
          // Without time buckets InfluxQL answers time 0: the one bucket starts at `from`.
          if (v.bucketMs === undefined) row.ts = v.from;
          out.push(row as PartialRow);
        }
      return out;
    },
    writeRollups: (resolution, records) => write(ROLLUP_TABLE[resolution], records),
    async rollupState() {
      return rollupStateFromRows(
        (await query(`SELECT * FROM ${src('rollup_state')}`)).flatMap(rows),
      );
    },
    writeRollupState: (state) =>
      write('rollup_state', rollupStateRecords(state) as { ts: number }[]),
    async steady(q) {
      const series = await query(steadyQuery(parseQuery.steady(q), src));
      return series.flatMap(rows) as unknown as SteadyRow[];
    },
    writeSteady: (records) => write('steady_1h', records),
    replay(q) {
      return replayFrames(store, parseQuery.replay(q));
    },
    async statusChanges(q) {
      const v = parseQuery.window(q);
      const before = await query(statusBeforeQuery(v, v.from - STATUS_LOOKBACK_MS, src));
      const changes = await query(statusChangesQuery(v, src));
      type Change = { lampId: string; state: string; ts: number };
      return {
        initial: before.flatMap(rows) as Change[],
        changes: changes.flatMap(rows) as Change[],
      };
    },
    async deleteBefore(source, cutoff) {
      const m = sourceTable(source);
      if (version.major === 2) {
        // 2.x has no InfluxQL DELETE; its delete API takes a bucket, a time range and a predicate.
        const bucket = encodeURIComponent(writeBucket(layout, m, version.major));
        await api(`/api/v2/delete?org=${encodeURIComponent(opts.org ?? '')}&bucket=${bucket}`, {
          method: 'POST',
          body: {
            start: new Date(0).toISOString(),
            // Both ends are inclusive there; `time < cutoff` as on 1.x.
            stop: new Date(cutoff - 1).toISOString(),
            predicate: `_measurement="${m}"`,
          },
        });
        return;
      }
      if (version.major !== 1)
        throw new StoreError(
          `InfluxDB ${version.raw} has no InfluxQL DELETE: set the database's retention instead`,
          false,
        );
      await query(deleteBeforeQuery(m, cutoff), 'POST');
    },
    async history(q) {
      return composedHistory(store, parseQuery.history(q));
    },
    async energy(q) {
      return composedEnergy(store, parseQuery.energy(q));
    },
    async events(q) {
      const series = await query(eventsQuery(parseQuery.window(q), src));
      return series.flatMap(rows) as unknown as StoredEvent[];
    },
    async acks(q) {
      const series = await query(acksQuery(parseQuery.window(q), src));
      return series.flatMap(rows) as unknown as StoredAck[];
    },
    async alarms(q) {
      const series = await query(alarmsQuery(parseQuery.alarms(q), src));
      return series.flatMap(rows) as unknown as Alarm[];
    },
    async health() {
      try {
        version = await ping();
        return { ok: true, version: version.raw };
      } catch (err) {
        return { ok: false, version: version.raw, detail: (err as Error).message };
      }
    },
    async close() {
      for (const w of writers) await w.chain;
    },
  };
  return store;
}

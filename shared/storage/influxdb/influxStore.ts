/**
 * The InfluxDB adapter. Writes go through the client's transport (gzip above a threshold); reads
 * use InfluxQL over `/query`, the one read path InfluxDB 1.x, 2.x (virtual DBRP from the bucket
 * name) and 3.x all serve. On 1.x before 1.8 the write path is mapped to `/write?db=`.
 */
import { HttpError, InfluxDB, setLogger } from '@influxdata/influxdb-client';
import type { Alarm } from '../../contract/alarms.ts';
import {
  type EncodedRecords,
  type EnergyRow,
  type HistorySeries,
  type Store,
  type StoredEvent,
  type StoredTelemetry,
  StoreError,
  type WriteKind,
} from '../port.ts';
import { parseQuery } from '../queries.ts';
import {
  compact,
  encodeLines,
  MEASUREMENTS,
  type Measurement,
  type PrefixCache,
} from '../schema.ts';
import {
  alarmsQuery,
  energyQuery,
  eventsQuery,
  historyQuery,
  latestQuery,
  quoteIdent,
} from './influxql.ts';
import { v1Transport } from './transport.ts';

const NEWLINE = Buffer.from('\n');

export interface InfluxStoreOptions {
  url: string;
  /** 1.x database (3.x database, 2.x bucket: the name /query maps through DBRP). */
  database: string;
  /** 2.x/3.x API token, or `user:password` on 1.x. */
  token?: string;
  /** 2.x organisation; ignored elsewhere. */
  org?: string;
  /** 1.x retention policy to write to; the database default when unset. */
  retentionPolicy?: string;
  /** Bodies larger than this many bytes are gzipped; default 1,000, none to a loopback server. */
  gzipThreshold?: number;
  /** Largest write the caller makes, in lines (a body never holds more). */
  maxLinesPerWrite?: number;
  /** Writes sent at once at most; more calls queue. */
  concurrentWrites?: number;
  /** Create the database on 1.x if it is missing. */
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

  const ensureDatabase = async () => {
    if (version.major === 1 && opts.createDatabase !== false) {
      await query(`CREATE DATABASE ${quoteIdent(opts.database)}`, 'POST');
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
  const bucket =
    version.major === 1 && opts.retentionPolicy
      ? `${opts.database}/${opts.retentionPolicy}`
      : opts.database;
  // We batch and retry ourselves (the processor's spool), so the write path needs exactly one
  // POST per body, no buffer, timer or retries of its own: that is the client's transport, the
  // same one (and on 1.x the same `/write?db=` mapping) the WriteApi would use. The WriteApi
  // configured that way added only a JavaScript UTF-8 byte count of every body, ~7 % of the
  // processor's CPU in the batched ingest profile (docs/benchmarks/ingest.md).
  const writePath =
    `/api/v2/write?org=${encodeURIComponent(opts.org ?? '')}` +
    `&bucket=${encodeURIComponent(bucket)}&precision=ms`;
  const sendOptions = {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    gzipThreshold:
      opts.gzipThreshold ?? (isLoopback(url) ? undefined : INFLUX_DEFAULTS.gzipThreshold),
  };
  // The Node transport sends `Buffer.from(body, 'utf-8')`, which takes a Buffer as well: encoded
  // bodies go out as the bytes they are, never turned back into a string (see EncodedRecords).
  const send = (body: string | Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      let status: number | undefined;
      client.transport.send(writePath, body as string, sendOptions, {
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

  const writeBodies = (bodies: (string | Buffer)[]): Promise<void> => {
    // The least busy lane; each runs its writes one after the other.
    const w = writers.reduce((a, b) => (b.queued < a.queued ? b : a));
    const run = async () => {
      if (needsDatabase) {
        await ensureDatabase();
        needsDatabase = false;
      }
      for (const body of bodies) {
        try {
          await send(body);
        } catch (err) {
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
    return bodies.length > 0 ? writeBodies(bodies) : Promise.resolve();
  };
  const encode = (kind: WriteKind, records: readonly object[]): EncodedRecords =>
    encodeLines(MEASUREMENTS[kind], records, prefixes);
  // Encoded parts joined into bodies of at most `maxLines` records each.
  const writeEncoded = (_kind: WriteKind, parts: readonly EncodedRecords[]) => {
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
    return bodies.length > 0 ? writeBodies(bodies) : Promise.resolve();
  };

  return {
    kind: 'influxdb',
    writeTelemetry: (points) => write('telemetry', points),
    writeEvents: (events) => write('event', events),
    writeStatus: (status) => write('status', status),
    writeAcks: (acks) => write('ack', acks),
    writeAlarms: (alarms) => write('alarm', alarms),
    encode,
    writeEncoded,

    async latest(filter) {
      const series = await query(latestQuery(parseQuery.filter(filter)));
      return series.flatMap(rows) as unknown as StoredTelemetry[];
    },
    async history(q) {
      const series = await query(historyQuery(parseQuery.history(q)));
      const out: HistorySeries[] = series.map((s) => ({
        lampId: s.tags?.lampId ?? '',
        points: s.values.map((v) => ({
          t: v[0] as number,
          value: (v[1] as number | null) ?? null,
        })),
      }));
      return out
        .filter((s) => s.points.length > 0)
        .sort((a, b) => a.lampId.localeCompare(b.lampId));
    },
    async energy(q) {
      const valid = parseQuery.energy(q);
      const series = await query(energyQuery(valid));
      const tagOf = { lamp: 'lampId', segment: 'segmentId', vendor: 'vendorId' } as const;
      const sums = new Map<string, number>();
      for (const s of series) {
        const key = s.tags?.[tagOf[valid.groupBy]] ?? '';
        const kWh = Number(s.values[0]?.[1] ?? 0);
        sums.set(key, (sums.get(key) ?? 0) + kWh);
      }
      const out: EnergyRow[] = [...sums].map(([key, kWh]) => ({ key, kWh }));
      return out.sort((a, b) => a.key.localeCompare(b.key));
    },
    async events(q) {
      const series = await query(eventsQuery(parseQuery.window(q)));
      return series.flatMap(rows) as unknown as StoredEvent[];
    },
    async alarms(q) {
      const series = await query(alarmsQuery(parseQuery.alarms(q)));
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
}

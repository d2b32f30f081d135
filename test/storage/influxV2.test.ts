/**
 * The InfluxDB 2.x paths of the adapter against 2.x's documented HTTP shapes. Neither Debian nor
 * the npm registry has an influxd 2 (checked: Debian ships 1.6.7, npm only clients), so this
 * file runs a small HTTP server that answers as the 2.x API reference says: it stands in for the
 * server, not for our code, which runs unchanged against it.
 *
 * What the stand-in does as 2.x does: `/ping` with `X-Influxdb-Version`; token auth
 * (`Authorization: Token ...`, else 401 `{"code":"unauthorized"}`); orgs and buckets
 * (`GET /api/v2/orgs?org=`, `GET/POST /api/v2/buckets`, `PATCH /api/v2/buckets/{id}`, 422 on a
 * duplicate name); `POST /api/v2/write?org=&bucket=&precision=ms` (404 for an unknown bucket,
 * 400 for unparsable line protocol, 422 "points beyond retention policy dropped" for points
 * older than the bucket's retention, 503 with Retry-After when told to); `/query` (InfluxQL, 1.x
 * compatibility) resolving `"db"."rp"."m"` through each bucket's virtual DBRP mapping
 * (`db/rp` bucket names; a name without a slash maps to rp `autogen`) and answering
 * `SELECT * FROM` it; `POST /api/v2/delete`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createInfluxStore } from '../../shared/storage/influxdb/influxStore.ts';
import { type StoredTelemetry, StoreError } from '../../shared/storage/port.ts';

const TOKEN = 'test-token-2x';
const ORG = 'gadelys-org';
const DAY = 86_400_000;

interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean>;
  ts: number;
}
interface Bucket {
  id: string;
  orgID: string;
  name: string;
  retentionRules: { type: 'expire'; everySeconds: number }[];
  points: Point[];
}
interface Request {
  method: string;
  path: string;
  params: URLSearchParams;
  auth?: string;
  body: string;
}

/** Line protocol as 2.x parses it (enough of it for what our encoder writes). */
function parseLine(line: string): Point | undefined {
  const m = /^((?:[^ ,\\]|\\.)+)((?:,(?:[^ ,\\]|\\.)+=(?:[^ ,\\]|\\.)+)*) (.+) (-?\d+)$/.exec(line);
  if (!m) return undefined;
  const tags: Record<string, string> = {};
  for (const kv of (m[2] ?? '').split(',').slice(1)) {
    const [k, v] = kv.split('=');
    tags[k as string] = (v as string).replace(/\\(.)/g, '$1');
  }
  const fields: Point['fields'] = {};
  const re = /([^=,]+)=("(?:[^"\\]|\\.)*"|[^,]+)(?:,|$)/g;
  for (const [, k, raw] of (m[3] as string).matchAll(re)) {
    const v = raw as string;
    if (v.startsWith('"')) fields[k as string] = v.slice(1, -1).replace(/\\(.)/g, '$1');
    else if (/^-?\d+i$/.test(v)) fields[k as string] = Number(v.slice(0, -1));
    else if (v === 't' || v === 'true' || v === 'f' || v === 'false')
      fields[k as string] = v[0] === 't';
    else if (Number.isFinite(Number(v))) fields[k as string] = Number(v);
    else return undefined;
  }
  if (Object.keys(fields).length === 0) return undefined;
  return { measurement: m[1] as string, tags, fields, ts: Number(m[4]) };
}

class Influx2 {
  server!: Server;
  url = '';
  buckets: Bucket[] = [];
  requests: Request[] = [];
  /** The next writes answer this instead (503, a 400 the server found, ...). */
  failWrites: { status: number; body: object; headers?: Record<string, string> }[] = [];
  private ids = 0;
  readonly orgID = '0a1b2c3d4e5f6789';

  async start() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const answer = (status: number, json?: object, headers: Record<string, string> = {}) => {
          res.writeHead(status, {
            'content-type': 'application/json; charset=utf-8',
            'x-influxdb-version': 'v2.7.11',
            ...headers,
          });
          res.end(json ? JSON.stringify(json) : undefined);
        };
        try {
          this.handle(req, body, answer);
        } catch (err) {
          answer(500, { code: 'internal error', message: String(err) });
        }
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop() {
    return new Promise<void>((r) => this.server.close(() => r()));
  }
  bucket(name: string) {
    return this.buckets.find((b) => b.name === name);
  }
  /** The virtual DBRP mapping: `db/rp` buckets, and `db` for rp autogen. */
  private dbrp(db: string, rp: string) {
    return this.bucket(`${db}/${rp}`) ?? (rp === 'autogen' ? this.bucket(db) : undefined);
  }

  private handle(
    req: IncomingMessage,
    body: string,
    answer: (status: number, json?: object, headers?: Record<string, string>) => void,
  ) {
    const u = new URL(req.url ?? '/', this.url);
    const record: Request = {
      method: req.method ?? 'GET',
      path: u.pathname,
      params: u.searchParams,
      auth: req.headers.authorization,
      body,
    };
    this.requests.push(record);
    if (u.pathname === '/ping') return answer(204);
    if (req.headers.authorization !== `Token ${TOKEN}`)
      return answer(401, { code: 'unauthorized', message: 'unauthorized access' });
    if (u.pathname === '/api/v2/orgs') {
      const org = u.searchParams.get('org');
      if (org !== ORG)
        return answer(404, { code: 'not found', message: `organization name "${org}" not found` });
      return answer(200, { orgs: [{ id: this.orgID, name: ORG }] });
    }
    if (u.pathname === '/api/v2/buckets' && req.method === 'GET') {
      const name = u.searchParams.get('name');
      const list = this.buckets.filter((b) => name === null || b.name === name);
      return answer(200, { buckets: list.map(({ points: _p, ...b }) => b) });
    }
    if (u.pathname === '/api/v2/buckets' && req.method === 'POST') {
      const b = JSON.parse(body) as Omit<Bucket, 'id' | 'points'>;
      if (b.orgID !== this.orgID) return answer(400, { code: 'invalid', message: 'orgID invalid' });
      if (this.bucket(b.name))
        return answer(422, {
          code: 'conflict',
          message: `bucket with name ${b.name} already exists`,
        });
      const bucket = { ...b, id: `b${++this.ids}`, points: [] };
      this.buckets.push(bucket);
      return answer(201, { ...b, id: bucket.id });
    }
    const patch = /^\/api\/v2\/buckets\/(\w+)$/.exec(u.pathname);
    if (patch && req.method === 'PATCH') {
      const b = this.buckets.find((x) => x.id === patch[1]);
      if (!b) return answer(404, { code: 'not found', message: 'bucket not found' });
      b.retentionRules = (JSON.parse(body) as Bucket).retentionRules;
      return answer(200, { id: b.id, name: b.name, retentionRules: b.retentionRules });
    }
    if (u.pathname === '/api/v2/write' && req.method === 'POST') {
      const fail = this.failWrites.shift();
      if (fail) return answer(fail.status, fail.body, fail.headers);
      if (u.searchParams.get('org') !== ORG)
        return answer(404, { code: 'not found', message: 'organization not found' });
      const name = u.searchParams.get('bucket') ?? '';
      const b = this.bucket(name);
      if (!b) return answer(404, { code: 'not found', message: `bucket "${name}" not found` });
      if (u.searchParams.get('precision') !== 'ms')
        return answer(400, { code: 'invalid', message: 'precision must be ms in this stand-in' });
      const every = b.retentionRules[0]?.everySeconds ?? 0;
      let dropped = 0;
      for (const [i, line] of body.split('\n').entries()) {
        if (line === '') continue;
        const p = parseLine(line);
        if (!p)
          return answer(400, {
            code: 'invalid',
            message: `unable to parse '${line}': line ${i + 1}`,
          });
        if (every > 0 && p.ts < Date.now() - every * 1000) {
          dropped++;
          continue;
        }
        // A point's identity: measurement, tag set and time; a newer write replaces its fields.
        const key = (x: Point) => `${x.measurement}|${JSON.stringify(x.tags)}|${x.ts}`;
        const at = b.points.findIndex((x) => key(x) === key(p));
        if (at >= 0) b.points[at] = { ...p, fields: { ...b.points[at]?.fields, ...p.fields } };
        else b.points.push(p);
      }
      if (dropped > 0)
        return answer(422, {
          code: 'unprocessable entity',
          message: `failure writing points to database: partial write: points beyond retention policy dropped=${dropped}`,
        });
      return answer(204);
    }
    if (u.pathname === '/api/v2/delete' && req.method === 'POST') {
      const b = this.bucket(u.searchParams.get('bucket') ?? '');
      if (!b) return answer(404, { code: 'not found', message: 'bucket not found' });
      const d = JSON.parse(body) as { start: string; stop: string; predicate: string };
      const m = /^_measurement="(\w+)"$/.exec(d.predicate)?.[1];
      const [from, to] = [Date.parse(d.start), Date.parse(d.stop)];
      b.points = b.points.filter((p) => p.measurement !== m || p.ts < from || p.ts > to);
      return answer(204);
    }
    if (u.pathname === '/query') {
      const params = req.method === 'POST' ? new URLSearchParams(body) : u.searchParams;
      const q = params.get('q') ?? '';
      const db = params.get('db') ?? '';
      const from = /^SELECT \* FROM "(\w+)"\."(\w+)"\."(\w+)"$/.exec(q);
      if (!from) return answer(200, { results: [{ statement_id: 0 }] });
      if (from[1] !== db)
        return answer(200, {
          results: [{ statement_id: 0, error: `database not found: ${from[1]}` }],
        });
      const b = this.dbrp(from[1] as string, from[2] as string);
      if (!b)
        return answer(200, { results: [{ statement_id: 0, error: `database not found: ${db}` }] });
      const points = b.points.filter((p) => p.measurement === from[3]);
      if (points.length === 0) return answer(200, { results: [{ statement_id: 0 }] });
      const cols = [
        ...new Set(points.flatMap((p) => [...Object.keys(p.tags), ...Object.keys(p.fields)])),
      ].sort();
      return answer(200, {
        results: [
          {
            statement_id: 0,
            series: [
              {
                name: from[3],
                columns: ['time', ...cols],
                values: points.map((p) => [
                  p.ts,
                  ...cols.map((c) => p.tags[c] ?? p.fields[c] ?? null),
                ]),
              },
            ],
          },
        ],
      });
    }
    return answer(404, { code: 'not found', message: 'path not found' });
  }
}

const reading = (lamp: number, ts: number): StoredTelemetry =>
  ({
    lampId: `DOLL-${String(lamp).padStart(4, '0')}`,
    segmentId: 'seg-01',
    vendorId: 'nordlys',
    modelId: 'n-40',
    ts,
    seq: lamp,
    actualLevel: 50,
    targetLevel: 50,
    activePower: 20.5,
    activeEnergy: 1,
  }) as StoredTelemetry;

const server = new Influx2();
beforeAll(() => server.start());
afterAll(() => server.stop());
beforeEach(() => {
  server.buckets = [];
  server.requests = [];
  server.failWrites = [];
  // What the compose set-up creates: the org's bucket, kept forever.
  server.buckets.push({
    id: 'b0',
    orgID: server.orgID,
    name: 'gadelys',
    retentionRules: [{ type: 'expire', everySeconds: 0 }],
    points: [],
  });
});

const open = (opts: { token?: string; retention?: Record<'raw' | '1m' | '1h', number> } = {}) =>
  createInfluxStore({
    url: server.url,
    database: 'gadelys',
    org: ORG,
    token: opts.token ?? TOKEN,
    retention: opts.retention,
  });

const writes = () => server.requests.filter((r) => r.path === '/api/v2/write');

describe('InfluxDB 2.x (documented HTTP shapes)', () => {
  it('creates a bucket per resolution with its retention, once; the processor sets durations', async () => {
    const store = await open({ retention: { raw: 14 * DAY, '1m': 400 * DAY, '1h': 0 } });
    const rules = Object.fromEntries(
      server.buckets.map((b) => [b.name, b.retentionRules[0]?.everySeconds]),
    );
    expect(rules).toEqual({
      gadelys: 0,
      'gadelys/raw': 14 * 86_400,
      'gadelys/rollup_1m': 400 * 86_400,
      'gadelys/rollup_1h': 0,
      'gadelys/state': 0,
    });
    const creates = server.requests.filter(
      (r) => r.path === '/api/v2/buckets' && r.method === 'POST',
    );
    expect(creates).toHaveLength(4);
    expect(creates.every((r) => r.auth === `Token ${TOKEN}`)).toBe(true);
    // Opened again: nothing created; a reader leaves durations alone, the processor sets them.
    server.requests = [];
    await open();
    expect(server.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    await open({ retention: { raw: 7 * DAY, '1m': 400 * DAY, '1h': 0 } });
    const patches = server.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => [r.path, JSON.parse(r.body)])).toEqual([
      [
        `/api/v2/buckets/${server.bucket('gadelys/raw')?.id}`,
        { retentionRules: [{ type: 'expire', everySeconds: 7 * 86_400 }] },
      ],
    ]);
    await store.close();
  });

  it('writes each measurement to its bucket with org, precision and token; time-0 state is accepted', async () => {
    const store = await open();
    const now = Date.now();
    await store.writeTelemetry([reading(1, now - 1_000), reading(2, now)]);
    await store.writeLastState([reading(1, now - 1_000), reading(2, now)]);
    await store.writeRollupState({
      '1m': { since: now - DAY, completeUntil: now - 60_000 },
      '1h': { since: now - DAY, completeUntil: now - 3_600_000 },
    });
    await store.writeEvents([{ ...reading(1, now), type: 'lampFailure', active: true } as never]);
    expect(
      writes().map((r) => [
        r.params.get('bucket'),
        r.params.get('org'),
        r.params.get('precision'),
        r.auth,
      ]),
    ).toEqual([
      ['gadelys/raw', ORG, 'ms', `Token ${TOKEN}`],
      ['gadelys/state', ORG, 'ms', `Token ${TOKEN}`],
      ['gadelys/state', ORG, 'ms', `Token ${TOKEN}`],
      ['gadelys', ORG, 'ms', `Token ${TOKEN}`],
    ]);
    expect(server.bucket('gadelys/raw')?.points).toHaveLength(2);
    expect(server.bucket('gadelys/state')?.points.map((p) => p.ts)).toEqual([0, 0, 0, 0]);
    // The same time-0 point in a bucket with a retention period is refused (what made compose
    // keep everything forever before): the layout never sends it there.
    const raw = server.bucket('gadelys/raw') as Bucket;
    raw.retentionRules = [{ type: 'expire', everySeconds: 14 * 86_400 }];
    await expect(
      fetch(`${server.url}/api/v2/write?org=${ORG}&bucket=gadelys/raw&precision=ms`, {
        method: 'POST',
        headers: { authorization: `Token ${TOKEN}` },
        body: 'last_state,lampId=DOLL-0001 readingTs=1i 0',
      }).then((r) => r.status),
    ).resolves.toBe(422);
    await store.close();
  });

  it('reads with InfluxQL over /query through the buckets virtual DBRP mappings', async () => {
    const store = await open();
    const now = Date.now();
    await store.writeLastState([reading(1, now - 1_000), reading(2, now)]);
    await store.writeRollupState({
      '1m': { since: now - DAY, completeUntil: now - 60_000 },
      '1h': { since: now - DAY, completeUntil: now - 3_600_000 },
    });
    expect((await store.lastState({})).map((r) => [r.lampId, r.ts, r.activePower])).toEqual([
      ['DOLL-0001', now - 1_000, 20.5],
      ['DOLL-0002', now, 20.5],
    ]);
    expect(await store.rollupState()).toEqual({
      '1m': { since: now - DAY, completeUntil: now - 60_000 },
      '1h': { since: now - DAY, completeUntil: now - 3_600_000 },
    });
    const queries = server.requests.filter((r) => r.path === '/query');
    expect(
      queries.map((r) => [r.params.get('db'), r.params.get('epoch'), r.params.get('q'), r.auth]),
    ).toEqual([
      ['gadelys', 'ms', 'SELECT * FROM "gadelys"."state"."last_state"', `Token ${TOKEN}`],
      ['gadelys', 'ms', 'SELECT * FROM "gadelys"."state"."rollup_state"', `Token ${TOKEN}`],
    ]);
    await store.close();
  });

  it('deletes through /api/v2/delete (retention applied by the processor)', async () => {
    const store = await open();
    const now = Date.now();
    await store.writeTelemetry([reading(1, now - 10_000), reading(2, now)]);
    await store.deleteBefore('raw', now);
    const del = server.requests.find((r) => r.path === '/api/v2/delete');
    expect(del?.params.get('bucket')).toBe('gadelys/raw');
    expect(JSON.parse(del?.body ?? '{}')).toEqual({
      start: '1970-01-01T00:00:00.000Z',
      stop: new Date(now - 1).toISOString(),
      predicate: '_measurement="telemetry"',
    });
    expect(server.bucket('gadelys/raw')?.points.map((p) => p.ts)).toEqual([now]);
    await store.close();
  });

  it('answers errors as the processor needs them: what to retry, what to set aside', async () => {
    // 401: a wrong or rotated token. Retryable (the spool waits for the fix), never set aside.
    const unauthorized = await open({ token: 'wrong' }).catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(StoreError);
    expect((unauthorized as StoreError).message).toMatch(/401.*unauthorized/);
    expect((unauthorized as StoreError).retryable).toBe(true);

    const store = await open();
    const now = Date.now();
    const fail = async (status: number, body: object, headers?: Record<string, string>) => {
      server.failWrites.push({ status, body, headers });
      return (await store.writeTelemetry([reading(1, now)]).catch((e: unknown) => e)) as StoreError;
    };
    const bad = await fail(400, { code: 'invalid', message: 'unable to parse line 1' });
    expect([bad.retryable, bad.message]).toEqual([
      false,
      expect.stringMatching(/400.*unable to parse/),
    ]);
    const conflict = await fail(422, {
      code: 'unprocessable entity',
      message: 'field type conflict',
    });
    expect(conflict.retryable).toBe(false);
    const busy = await fail(
      503,
      { code: 'unavailable', message: 'too busy' },
      { 'retry-after': '1' },
    );
    expect([busy.retryable, busy.message]).toEqual([true, expect.stringMatching(/503/)]);
    // Points beyond the bucket's retention are dropped, the rest stored: not an error.
    (server.bucket('gadelys/raw') as Bucket).retentionRules = [
      { type: 'expire', everySeconds: 3_600 },
    ];
    await store.writeTelemetry([reading(1, now - 2 * 3_600_000), reading(2, now)]);
    expect(server.bucket('gadelys/raw')?.points.map((p) => p.tags.lampId)).toEqual(['DOLL-0002']);

    // 404: the bucket went away. Retryable; the next write creates the buckets again.
    server.buckets = server.buckets.filter((b) => b.name !== 'gadelys/raw');
    const missing = (await store
      .writeTelemetry([reading(3, now)])
      .catch((e: unknown) => e)) as StoreError;
    expect([missing.retryable, missing.message]).toEqual([
      true,
      expect.stringMatching(/404.*not found/),
    ]);
    await store.writeTelemetry([reading(3, now)]);
    expect(server.bucket('gadelys/raw')?.points.map((p) => p.tags.lampId)).toEqual(['DOLL-0003']);
    await store.close();
  });
});

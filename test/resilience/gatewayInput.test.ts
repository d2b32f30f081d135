// biome-ignore-all lint/suspicious/noExplicitAny: the OpenAPI document and JSON frames are walked generically
/**
 * Bad input at the gateway, generated from what it serves: for every operation of the OpenAPI
 * document (`/openapi.json`), path parameters, query strings and bodies built from the
 * document's own schemas, then bent (wrong types, out of range, hostile strings, extra keys);
 * and WebSocket frames, valid, bent and arbitrary. No answer is a 5xx or a stack trace, every
 * refusal is the JSON error envelope, every success a documented status; a socket answers every
 * frame and stays open, and a vendor's socket never carries another vendor's lamp.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { OPERATIONS } from '../../services/gateway/rest/operations/index.ts';
import { type Harness, startHarness, VENDOR_A } from '../gateway/harness.ts';
import { connectWs } from '../gateway/wsClient.ts';
import { params, timeoutMs } from './fuzz.ts';
import { recordCounts } from './report.ts';

let h: Harness;
let doc: any;
beforeAll(async () => {
  h = await startHarness({
    store: 'memory',
    env: {
      GATEWAY_WS_FRAMES_PER_SECOND: '10000',
      GATEWAY_TOKENS_PER_MINUTE: '10000',
      GATEWAY_TOKENS_PER_USER: '10000',
      GATEWAY_COMMANDS_PER_MINUTE: '100000',
    },
  });
  doc = (await h.api('GET', '/openapi.json')).json;
});
afterAll(async () => {
  await h?.stop();
});

const HOSTILE = [
  '',
  ' ',
  '../../../etc/passwd',
  '..%2F..%2Fpackage.json',
  "' OR '1'='1",
  '" OR ""="',
  'x"; DROP MEASUREMENT telemetry; --',
  "x' UNION SELECT * FROM users --",
  '/ SLIMIT 1 /',
  '<img src=x onerror=alert(1)>',
  '__proto__',
  'constructor',
  '\u0000',
  '\uFFFF',
  'NaN',
  '-1',
  '1e309',
  '99999999999999999999',
  '2026-13-45',
  'a,b,,c',
  'x'.repeat(2_000),
];
const hostile = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

/** Values the platform knows, so that generated requests reach past the first check. */
function knownIds(): string[] {
  const r = h.broker.registry;
  return [
    r.lamps[0]!.id,
    r.lamps[r.lamps.length - 1]!.id,
    r.segments[0]!.id,
    r.segments[0]!.controllerId,
    VENDOR_A,
    r.vendorOf(r.lamps[r.lamps.length - 1]!.id)!.id,
    r.lamps[0]!.modelId,
    'activePower',
    'dk-default',
  ];
}

const resolve = (schema: any): any =>
  schema?.$ref ? resolve(doc.components.schemas[schema.$ref.split('/').pop()]) : schema;

/** Something of the schema's shape, each part valid or bent; `depth` bounds the nesting. */
function fromSchema(raw: any, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(raw) ?? {};
  const wrong = fc.oneof(
    hostile,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.jsonValue({ maxDepth: 2 }),
  );
  const bend = (good: fc.Arbitrary<unknown>) =>
    fc.oneof({ arbitrary: good, weight: 3 }, { arbitrary: wrong, weight: 1 });
  if (depth > 4) return wrong;
  const alts = s.oneOf ?? s.anyOf;
  if (alts) return fc.oneof(...alts.map((a: any) => fromSchema(a, depth + 1)));
  if ('const' in s) return bend(fc.constant(s.const));
  // A PDF renders in Chromium: not what input fuzzing is for (the reports tests cover it).
  if (s.enum) return bend(fc.constantFrom(...s.enum.filter((v: unknown) => v !== 'pdf')));
  switch (s.type) {
    case 'object': {
      const props = Object.entries<any>(s.properties ?? {});
      const record = fc.record(
        Object.fromEntries(props.map(([k, v]) => [k, fromSchema(v, depth + 1)])),
        { requiredKeys: [] },
      );
      return bend(
        fc
          .tuple(record, fc.option(fc.tuple(hostile, wrong), { nil: undefined }))
          .map(([o, extra]) => (extra ? { ...o, [extra[0]]: extra[1] } : o)),
      );
    }
    case 'array':
      return bend(fc.array(fromSchema(s.items, depth + 1), { maxLength: 3 }));
    case 'integer':
    case 'number': {
      const min = s.minimum ?? -1e6;
      const max = s.maximum ?? 1e12;
      return bend(
        fc.oneof(
          fc
            .double({ min: Math.max(min, -1e15), max: Math.min(max, 1e15), noNaN: true })
            .map((v) => (s.type === 'integer' ? Math.round(v) : v)),
          fc.constantFrom(min - 1, max + 1, Date.now() - 3_600_000, Date.now()),
        ),
      );
    }
    case 'boolean':
      return bend(fc.boolean());
    case 'string':
      return bend(fc.oneof(fc.constantFrom(...knownIds()), hostile));
    default:
      return wrong;
  }
}

/** A query value as text: what the schema gives, or anything. */
const asText = (v: unknown): string =>
  typeof v === 'string' ? v : Array.isArray(v) ? v.join(',') : (JSON.stringify(v) ?? '');

interface Call {
  op: any;
  method: string;
  path: string;
  body?: unknown;
  raw?: string;
  who: 'admin' | 'viewer' | 'vendor' | 'none';
}

function callFor(path: string, method: string, d: any): fc.Arbitrary<Call> {
  const parameters: any[] = d.parameters ?? [];
  const pathParams = parameters.filter((p) => p.in === 'path');
  const queryParams = parameters.filter((p) => p.in === 'query');
  const bodySchema = d.requestBody?.content?.['application/json']?.schema;
  return fc
    .record({
      path: fc.tuple(...pathParams.map((p) => fromSchema(p.schema).map(asText))),
      query: fc.array(
        fc.tuple(
          queryParams.length > 0
            ? fc.oneof(fc.constantFrom(...queryParams.map((p) => p.name)), hostile)
            : hostile,
          fc.oneof(
            ...(queryParams.length > 0
              ? queryParams.map((p) => fromSchema(p.schema).map(asText))
              : [hostile]),
          ),
        ),
        { maxLength: 5 },
      ),
      body: bodySchema
        ? fc.oneof(
            { arbitrary: fromSchema(bodySchema), weight: 4 },
            { arbitrary: fc.string({ maxLength: 40 }).map((raw) => ({ raw })), weight: 1 },
          )
        : fc.constant(undefined),
      who: fc.constantFrom('admin', 'viewer', 'vendor', 'none'),
    })
    .map((r) => {
      let p = path;
      pathParams.forEach((param, i) => {
        p = p.replace(`{${param.name}}`, encodeURIComponent(String(r.path[i]) || 'x'));
      });
      const qs = new URLSearchParams(r.query.map(([k, v]) => [k, v])).toString();
      const call: Call = {
        op: d,
        method: method.toUpperCase(),
        path: qs ? `${p}?${qs}` : p,
        who: r.who as Call['who'],
      };
      const b = r.body as { raw?: unknown } | undefined;
      if (b && typeof b === 'object' && typeof b.raw === 'string' && Object.keys(b).length === 1)
        call.raw = b.raw;
      else if (r.body !== undefined) call.body = r.body;
      return call;
    });
}

describe('REST: every operation of the served OpenAPI document', () => {
  it(
    'answers generated and bent requests with a documented status or a JSON 4xx, never a 5xx',
    async () => {
      const calls: fc.Arbitrary<Call>[] = [];
      for (const [path, methods] of Object.entries<any>(doc.paths))
        for (const [method, d] of Object.entries<any>(methods)) {
          // logout revokes the caller's own token: the harness's tokens must survive the run
          if (d.operationId === 'logout') continue;
          calls.push(callFor(path, method, d));
        }
      expect(calls.length).toBe(OPERATIONS.length - 1);
      const byStatus: Record<string, number> = {};
      let attempts = 0;
      await fc.assert(
        fc.asyncProperty(fc.oneof(...calls), async (c) => {
          const token = c.who === 'none' ? undefined : h.tokens[c.who];
          const opts: { token?: string; body?: unknown; raw?: string } = {};
          if (token) opts.token = token;
          if (c.raw !== undefined) opts.raw = c.raw;
          else if (c.body !== undefined) opts.body = c.body;
          const r = await h.api(c.method, c.path, opts);
          attempts++;
          byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
          const what = `${c.who} ${c.method} ${c.path.slice(0, 200)} ${JSON.stringify(c.body ?? c.raw)?.slice(0, 200)}: ${r.status} ${r.text.slice(0, 300)}`;
          expect(r.status, what).toBeLessThan(500);
          expect(r.text, what).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
          if (r.status >= 400) {
            expect(r.json, what).toMatchObject({ ok: false, status: r.status });
          } else {
            const documented = Object.keys(c.op.responses).map(Number);
            expect(documented, what).toContain(r.status);
          }
        }),
        params(400, 6_000),
      );
      const refused = Object.entries(byStatus)
        .filter(([s]) => Number(s) >= 400)
        .reduce((n, [, v]) => n + v, 0);
      await recordCounts('bad input: REST, generated from the OpenAPI document', {
        attempts,
        refused,
        lost: 0,
        duplicated: 0,
        operations: calls.length,
        statuses: Object.entries(byStatus)
          .map(([s, n]) => `${s}:${n}`)
          .join(' '),
      });
      expect((await h.api('GET', '/api/health')).status).toBe(200);
    },
    timeoutMs(300_000),
  );
});

describe('WebSocket frames', () => {
  const SERVER_FRAMES = [
    'hello',
    'snapshot',
    'delta',
    'alarm',
    'command',
    'commandAccepted',
    'error',
    'pong',
  ];
  const frame = fc.oneof(
    fc
      .record(
        {
          type: fc.constant('subscribe'),
          all: fc.oneof(fc.boolean(), hostile),
          lamps: fc.array(fc.oneof(fc.constantFrom(...knownIdsLater()), hostile), {
            maxLength: 4,
          }),
          segments: fc.array(fc.oneof(fc.constantFrom(...knownIdsLater()), hostile), {
            maxLength: 3,
          }),
          alarms: fc.boolean(),
          commands: fc.oneof(fc.boolean(), fc.integer()),
        },
        { requiredKeys: ['type'] },
      )
      .map((f) => JSON.stringify(f)),
    fc
      .record({
        type: fc.constant('command'),
        ref: fc.oneof(hostile, fc.integer()),
        request: fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          fc.record({
            target: fc.record({
              kind: fc.constantFrom('lamp', 'lamps', 'segment', 'route', 'x'),
              lampId: fc.oneof(fc.constantFrom(...knownIdsLater()), hostile),
            }),
            action: fc.record({
              type: fc.constantFrom('override', 'release', 'x'),
              level: fc.oneof(fc.integer({ min: -10, max: 110 }), hostile),
            }),
          }),
        ),
      })
      .map((f) => JSON.stringify(f)),
    fc.constantFrom('{"type":"ping"}', '{"type":"unsubscribe"}', '{"type":"ping","x":1}'),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
    hostile,
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  );

  it(
    'answers every frame, stays open, and shows a vendor only its own lamps',
    async () => {
      const sockets = {
        viewer: await connectWs(h.wsUrl, h.tokens.viewer),
        vendor: await connectWs(h.wsUrl, h.tokens.vendor),
      };
      const ownLamps = new Set(h.broker.registry.lampsOfVendor(VENDOR_A).map((l) => l.id));
      let attempts = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('viewer', 'vendor'), frame, async (who, f) => {
          const s = sockets[who as keyof typeof sockets];
          s.ws.send(f);
          s.send({ type: 'ping' });
          attempts++;
          await s.next((x) => x.type === 'pong', `pong after ${String(f).slice(0, 100)}`);
          expect(s.ws.readyState).toBe(WebSocket.OPEN);
        }),
        params(300, 5_000),
      );
      let refused = 0;
      for (const [who, s] of Object.entries(sockets)) {
        for (const f of s.frames) {
          expect(SERVER_FRAMES, JSON.stringify(f).slice(0, 200)).toContain(f.type);
          if (f.type === 'error') {
            refused++;
            expect(f.status).toBeGreaterThanOrEqual(400);
            expect(f.status).toBeLessThan(500);
            expect(typeof f.code).toBe('string');
          }
          // neither a viewer nor a vendor may command a lamp
          expect(f.type, JSON.stringify(f).slice(0, 200)).not.toBe('commandAccepted');
          if (who === 'vendor' && f.lamps)
            for (const l of f.lamps) expect(ownLamps.has(l.lampId), l.lampId).toBe(true);
        }
        await s.close();
      }
      await recordCounts('bad input: WebSocket frames', {
        attempts,
        refused,
        lost: 0,
        duplicated: 0,
      });
    },
    timeoutMs(120_000),
  );
});

/** knownIds() once the harness is up (arbitraries are built before beforeAll runs). */
function knownIdsLater(): string[] {
  return ['DOLL-0001', 'DOLL-0280', 'seg-01', 'seg-02', VENDOR_A, 'NOPE-1'];
}

// biome-ignore-all lint/suspicious/noExplicitAny: the OpenAPI document and JSON answers are walked generically
/**
 * The REST table is the API: every route the gateway serves under /api comes from it, the
 * OpenAPI document is generated from it, and every answer a running gateway gives matches the
 * schema the document names for its status (checked with Ajv, as a client generator would).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../../services/gateway/app.ts';
import { expressPath } from '../../services/gateway/rest/mount.ts';
import { buildOpenApi } from '../../services/gateway/rest/openapi.ts';
import type { Operation } from '../../services/gateway/rest/operation.ts';
import { OPERATIONS } from '../../services/gateway/rest/operations/index.ts';
import type { Alarm } from '../../shared/contract/index.ts';
import { decodeColumnsBinary, LAMP_COLUMNS_BINARY_TYPE } from '../../shared/registry/columns.ts';
import type { StoredTelemetry } from '../../shared/storage/port.ts';
import {
  type Harness,
  reading,
  startHarness,
  startLamp,
  type TestLamp,
  VENDOR_A,
} from './harness.ts';

describe('the table itself', () => {
  test('ids and routes are unique; path parameters have schemas; statuses are 2xx', () => {
    const ids = OPERATIONS.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    const routes = OPERATIONS.map((o) => `${o.method} ${o.path}`);
    expect(new Set(routes).size).toBe(routes.length);
    for (const op of OPERATIONS) {
      const names = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const shape = Object.keys((op.params as any)?.shape ?? {});
      expect(shape.sort(), `${op.id} params`).toEqual(names.sort());
      expect([200, 201, 202]).toContain(op.status);
      if (op.method === 'get') expect(op.body, `${op.id} has no body`).toBeUndefined();
    }
  });

  test('the document names every operation, its parameters, body and answers', () => {
    const doc = buildOpenApi(OPERATIONS) as any;
    expect(doc.openapi).toBe('3.1.0');
    for (const op of OPERATIONS) {
      const d = doc.paths[op.path][op.method];
      expect(d.operationId).toBe(op.id);
      expect(d.responses[String(op.status)].content, op.id).toBeDefined();
      if (op.status !== 200 && !op.alsoAnswers?.some((a) => a.status === 200))
        expect(d.responses['200'], `${op.id}: no 200`).toBeUndefined();
      const query = Object.keys((op.query as any)?.shape ?? {});
      const documented = (d.parameters ?? [])
        .filter((p: any) => p.in === 'query')
        .map((p: any) => p.name);
      expect(documented.sort()).toEqual(query.sort());
      expect(Boolean(d.requestBody)).toBe(Boolean(op.body));
    }
    // the parameters the drift left out
    const q = (path: string) =>
      doc.paths[path].get.parameters.filter((p: any) => p.in === 'query').map((p: any) => p.name);
    expect(q('/api/reports/vendor/{vendorId}')).toEqual(
      expect.arrayContaining(['night', 'nights', 'format']),
    );
    expect(q('/api/commands')).toEqual(expect.arrayContaining(['limit', 'status', 'lampId']));
    expect(q('/api/audit')).toEqual(expect.arrayContaining(['actor', 'action', 'from', 'to']));
    expect(doc.components.schemas.Telemetry.properties.actualLevel).toMatchObject({
      minimum: 0,
      maximum: 100,
    });
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? [];
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of refs)
      expect(doc.components.schemas[ref.split('/').pop()!], ref).toBeDefined();
  });
});

let h: Harness;
let doc: any;
let ajv: Ajv2020;
const lamps: TestLamp[] = [];
const ownLamp = () => h.broker.registry.lampsOfVendor(VENDOR_A)[0]!;
const otherLamp = () =>
  h.broker.registry.lamps.find((l) => h.broker.registry.vendorOf(l.id)?.id !== VENDOR_A)!;
let commandToOwnLamp = '';
let reportFile = '';

beforeAll(async () => {
  h = await startHarness({ store: 'memory' });
  const { registry } = h.broker;
  const now = Date.now();
  // History: two lamps of two vendors, an hour of readings, an event, an alarm.
  const points: StoredTelemetry[] = [];
  for (const lamp of [ownLamp(), otherLamp()]) {
    const tags = {
      segmentId: lamp.segmentId,
      vendorId: registry.vendorOf(lamp.id)!.id,
      modelId: lamp.modelId,
    };
    for (let i = 0; i < 60; i++)
      points.push({
        ...reading(lamp.id, { ts: now - 3_600_000 + i * 60_000, activeEnergy: 100 + i * 0.0013 }),
        ...tags,
      });
    await h.store!.writeEvents([
      { lampId: lamp.id, ts: now - 1_800_000, type: 'lampFailure', active: true, ...tags },
    ]);
  }
  await h.store!.writeTelemetry(points);
  const alarm = (lampId: string): Alarm => ({
    alarmId: `lampFailure:${lampId}`,
    type: 'lampFailure',
    state: 'raised',
    severity: 'major',
    lampId,
    ts: now - 1_000_000,
    detail: 'lamp failure reported',
  });
  await h.store!.writeAlarms([alarm(ownLamp().id), alarm(otherLamp().id)]);
  // Live: both lamps report over MQTT and answer commands; the alarms are raised.
  for (const lamp of [ownLamp(), otherLamp()]) {
    const l = await startLamp(h, lamp.id);
    lamps.push(l);
    await l.publishTelemetry();
  }
  h.gateway.context.live.alarm(alarm(ownLamp().id));
  h.gateway.context.live.alarm(alarm(otherLamp().id));
  const sent = await h.api('POST', '/api/commands', {
    token: h.tokens.operator,
    body: {
      target: { kind: 'lamp', lampId: ownLamp().id },
      action: { type: 'override', level: 40 },
    },
  });
  expect(sent.status, sent.text).toBe(202);
  commandToOwnLamp = sent.json.command.commandId;
  await h.api('POST', '/api/commands', {
    token: h.tokens.operator,
    body: { target: { kind: 'route' }, action: { type: 'release' } },
  });
  const live = await h.api('GET', '/api/live', { token: h.tokens.admin });
  expect(live.json.lamps.filter((l: any) => l.telemetry !== null).length).toBeGreaterThan(0);

  const trial = await h.api('POST', '/api/trials', {
    token: h.tokens.admin,
    body: trialBody('table'),
  });
  expect(trial.status, trial.text).toBe(201);
  const scheduled = await h.api('POST', '/api/reports/schedules', {
    token: h.tokens.admin,
    body: { id: 'table', vendorId: VENDOR_A, every: 'day', formats: ['json'] },
  });
  expect(scheduled.status, scheduled.text).toBe(201);
  reportFile = (await h.gateway.context.reports.tick())[0]!.name;
  doc = (await h.api('GET', '/openapi.json')).json;
  ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });
  ajv.addSchema({ $id: 'gateway', components: doc.components });
}, 60_000);

afterAll(async () => {
  for (const l of lamps) await l.stop();
  await h?.stop();
});

/** A trial of the vendor's first model against the other lamps on its streets. */
function trialBody(id: string) {
  const model = h.broker.registry.lampsOfVendor(VENDOR_A)[0]!.modelId;
  return {
    id,
    name: 'Table',
    vendorId: VENDOR_A,
    test: { modelIds: [model] },
    control: { kind: 'sameStreets' },
    fromNight: '2026-11-18',
    toNight: '2026-11-19',
  };
}

/** The schema the document gives for a status and content type, as an Ajv validator. */
function validatorFor(op: Operation, status: number, contentType = 'application/json') {
  const answer = doc.paths[op.path][op.method].responses[String(status)];
  expect(answer, `${op.id}: status ${status} is documented`).toBeDefined();
  const media = answer.content?.[contentType];
  expect(media, `${op.id}: ${status} ${contentType} is documented`).toBeDefined();
  const ref = String(media.schema.$ref ?? '');
  return ajv.compile(ref ? { $ref: `gateway${ref}` } : media.schema);
}

function samplePath(op: Operation): string {
  switch (op.path) {
    case '/api/lamps/{lampId}':
      return `/api/lamps/${ownLamp().id}`;
    case '/api/commands/{commandId}':
      return `/api/commands/${commandToOwnLamp}`;
    case '/api/reports/vendor/{vendorId}':
      return `/api/reports/vendor/${VENDOR_A}?nights=2`;
    case '/api/trials/{trialId}/report':
      return '/api/trials/table/report';
    case '/api/reports/files/{name}':
      return `/api/reports/files/${reportFile}`;
    case '/api/history':
      return `/api/history?field=activePower&bucketMs=600000&from=${Date.now() - 7_200_000}`;
    case '/api/events':
    case '/api/alarms/history':
      return `${op.path}?from=${Date.now() - 7_200_000}`;
    default:
      if (op.path.includes('{')) throw new Error(`no sample for ${op.path}: add one`);
      return op.path;
  }
}

describe('every GET answer matches its documented schema', () => {
  for (const op of OPERATIONS.filter((o) => o.method === 'get')) {
    for (const who of ['admin', 'vendor'] as const) {
      test(`${who} GET ${op.path}`, async () => {
        if (
          op.access === 'audit.read' ||
          op.access === 'users.manage' ||
          op.access === 'export' ||
          op.access === 'reports.schedule'
        ) {
          if (who === 'vendor') return; // refused: the role matrix covers it
        }
        const r = await h.api('GET', samplePath(op), { token: h.tokens[who] });
        expect(r.status, r.text).toBe(op.status);
        const type = r.headers.get('content-type') ?? '';
        const validate = validatorFor(op, r.status, type.split(';')[0]);
        // A streamed NDJSON answer (the replay) documents one line: every line must match it.
        const bodies = type.startsWith('application/x-ndjson')
          ? r.text
              .trim()
              .split('\n')
              .map((line) => JSON.parse(line))
          : type.includes('json')
            ? [r.json]
            : [r.text];
        for (const body of bodies) {
          const ok = validate(body);
          expect(ok, `${op.id}: ${ajv.errorsText(validate.errors)}\n${r.text.slice(0, 400)}`).toBe(
            true,
          );
        }
        // something to check: lists are not empty where the data above puts rows
        for (const key of ['lamps', 'series', 'rows', 'events', 'alarms', 'commands', 'programs'])
          if (Array.isArray(r.json?.[key]))
            expect(r.json[key].length, `${op.id}.${key}`).toBeGreaterThan(0);
        // no float noise: the seeded energy steps are 0.0013 kWh
        expect(r.text).not.toMatch(/\d\.\d{10,}/);
      });
    }
  }

  test('the CSV report is the documented alternative', async () => {
    const op = OPERATIONS.find((o) => o.id === 'vendorReport')!;
    const r = await h.api('GET', `/api/reports/vendor/${VENDOR_A}?format=csv&nights=1`, {
      token: h.tokens.vendor,
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(doc.paths[op.path].get.responses['200'].content['text/csv']).toBeDefined();
  });
});

describe('every write answers with its documented status and schema', () => {
  const program = (id: string) => ({
    id,
    name: 'Test',
    steps: [{ at: { kind: 'fixed', time: '22:00' }, level: 50 }],
  });
  const samples: Record<string, () => Promise<{ path: string; body?: unknown; token?: string }>> = {
    bootstrap: async () => ({ path: '', body: undefined }),
    login: async () => ({
      path: '/api/auth/login',
      body: { username: 'viewer', password: 'correct horse battery staple' },
    }),
    logout: async () => {
      const t = await h.api('POST', '/api/tokens', {
        token: h.tokens.viewer,
        body: { name: 'bye' },
      });
      return { path: '/api/auth/logout', token: t.json.token };
    },
    createUser: async () => ({
      path: '/api/users',
      body: { username: 'writer', password: 'twelve chars!!', role: 'viewer' },
    }),
    deleteUser: async () => ({ path: '/api/users/writer' }),
    createToken: async () => ({ path: '/api/tokens', body: { name: 'writes' } }),
    revokeToken: async () => {
      const t = await h.api('POST', '/api/tokens', {
        token: h.tokens.admin,
        body: { name: 'gone' },
      });
      return { path: `/api/tokens/${t.json.record.id}` };
    },
    acknowledgeAlarm: async () => ({
      path: `/api/alarms/lampFailure:${ownLamp().id}/ack`,
      body: { note: 'seen' },
    }),
    sendCommand: async () => ({
      path: '/api/commands',
      body: {
        target: { kind: 'lamps', lampIds: [ownLamp().id, otherLamp().id] },
        action: { type: 'override', level: 30, rampMs: 0 },
      },
    }),
    createProgram: async () => ({ path: '/api/programs', body: program('writes') }),
    updateProgram: async () => ({ path: '/api/programs/writes', body: program('writes') }),
    assignProgram: async () => ({
      path: '/api/programs/writes/assign',
      body: { segmentIds: [ownLamp().segmentId, otherLamp().segmentId] },
    }),
    deleteProgram: async () => ({ path: '/api/programs/writes' }),
    createTrial: async () => ({ path: '/api/trials', body: trialBody('writes') }),
    createReportSchedule: async () => ({
      path: '/api/reports/schedules',
      body: { id: 'writes', vendorId: VENDOR_A, every: 'monday', formats: ['csv'] },
    }),
    deleteReportSchedule: async () => ({ path: '/api/reports/schedules/writes' }),
    deleteTrial: async () => ({ path: '/api/trials/writes' }),
    importInventory: async () => {
      const lamp = h.broker.registry.lamps[0]!;
      const csv = `id,lon,lat,segmentId,controllerId,modelId\nP1,${lamp.lon},${lamp.lat},s1,c1,${lamp.modelId}`;
      return {
        path: '/api/registry/inventory',
        body: { format: 'csv', content: csv, dryRun: true },
      };
    },
  };
  // in an order where each write finds what it needs
  const order = [
    'login',
    'logout',
    'createUser',
    'deleteUser',
    'createToken',
    'revokeToken',
    'acknowledgeAlarm',
    'sendCommand',
    'createProgram',
    'updateProgram',
    'assignProgram',
    'deleteProgram',
    'createTrial',
    'deleteTrial',
    'createReportSchedule',
    'deleteReportSchedule',
    'importInventory',
  ];
  test('every write operation has a sample here', () => {
    const writes = OPERATIONS.filter((o) => o.method !== 'get').map((o) => o.id);
    expect([...order, 'bootstrap'].sort()).toEqual(writes.sort());
  });
  for (const id of order) {
    test(`${id}`, async () => {
      const op = OPERATIONS.find((o) => o.id === id)!;
      const s = await samples[id]!();
      const r = await h.api(op.method.toUpperCase(), s.path, {
        token: s.token ?? h.tokens.admin,
        body: s.body,
      });
      const documented = [op.status, ...(op.alsoAnswers ?? []).map((a) => a.status)];
      expect(documented, `${id}: ${r.status} ${r.text}`).toContain(r.status);
      const validate = validatorFor(op, r.status);
      expect(validate(r.json), `${id}: ${ajv.errorsText(validate.errors)} ${r.text}`).toBe(true);
    });
  }

  test('a program assigned to two segments records them as the target', async () => {
    const list = await h.api('GET', '/api/commands?limit=20', { token: h.tokens.admin });
    const assigned = list.json.commands.find((c: any) => c.type === 'assignProgram');
    expect(assigned.target).toEqual({
      kind: 'segments',
      segmentIds: [ownLamp().segmentId, otherLamp().segmentId],
    });
  });
});

describe('no route outside the table', () => {
  test('every express route under /api (and /openapi.json) is an operation of the table', () => {
    const app = createApp(h.gateway.context) as any;
    const routes: string[] = [];
    for (const layer of app.router.stack) {
      if (!layer.route) continue;
      for (const method of Object.keys(layer.route.methods))
        routes.push(`${method} ${layer.route.path}`);
    }
    const table = new Set(OPERATIONS.map((o) => `${o.method} ${expressPath(o.path)}`));
    const outside = routes.filter(
      (r) => !table.has(r) && !/^get (\/|\/favicon\.ico|\/dashboard.*)$/.test(r),
    );
    expect(outside).toEqual([]);
    for (const t of table) expect(routes, t).toContain(t);
  });
});

describe('the registry as binary columns', () => {
  test('format=binary holds the lamps of the JSON columns, scoped to the caller, and is documented', async () => {
    const d = doc.paths['/api/lamps/columns'].get.responses['200'].content;
    expect(Object.keys(d).sort()).toEqual(['application/json', LAMP_COLUMNS_BINARY_TYPE].sort());
    for (const who of ['admin', 'vendor'] as const) {
      const json = await h.api('GET', '/api/lamps/columns', { token: h.tokens[who] });
      const r = await fetch(`${h.base}/api/lamps/columns?format=binary`, {
        headers: { authorization: `Bearer ${h.tokens[who]}` },
      });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain(LAMP_COLUMNS_BINARY_TYPE);
      const bin = decodeColumnsBinary(await r.arrayBuffer());
      const names = (c: any) =>
        c.ids.map((id: string, i: number) => [
          id,
          c.lon[i],
          c.lat[i],
          c.segments[c.segment[i]],
          c.vendors[c.vendor[i]],
          c.models[c.model[i]],
        ]);
      expect(names(bin)).toEqual(names(json.json));
      expect(bin.approximate).toBe(json.json.approximate);
      if (who === 'vendor') {
        expect(bin.vendors).toEqual([VENDOR_A]);
        expect(bin.ids).not.toContain(otherLamp().id);
      } else expect(bin.ids).toContain(otherLamp().id);
    }
  });
});

describe('programs, alarm history, command privacy and error codes through the table', () => {
  test('a fresh lab knows the program every lamp runs', async () => {
    const r = await h.api('GET', '/api/programs', { token: h.tokens.viewer });
    const def = r.json.programs.find((p: any) => p.isDefault);
    expect(def.id).toBe('dk-default');
    expect(def.lampCount).toBeGreaterThan(200);
    const lamp = await h.api('GET', `/api/lamps/${otherLamp().id}`, { token: h.tokens.viewer });
    expect(lamp.json.programId).not.toBeNull();
    expect(r.json.programs.map((p: any) => p.id)).toContain(lamp.json.programId);
  });

  test('alarm history honours modelId', async () => {
    const from = Date.now() - 7_200_000;
    const r = await h.api('GET', `/api/alarms/history?from=${from}&modelId=${ownLamp().modelId}`, {
      token: h.tokens.admin,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json.alarms.length).toBeGreaterThan(0);
    for (const a of r.json.alarms)
      expect(h.broker.registry.lamp(a.lampId)?.modelId).toBe(ownLamp().modelId);
  });

  test('vendors are not told which operator sent a command', async () => {
    const r = await h.api('GET', `/api/commands/${commandToOwnLamp}`, { token: h.tokens.vendor });
    expect(r.status).toBe(200);
    expect(r.json.command.issuedBy).toBe('(withheld)');
    const list = await h.api('GET', '/api/commands', { token: h.tokens.vendor });
    expect(list.json.commands.length).toBeGreaterThan(0);
    expect(list.text).not.toContain('"issuedBy":"operator"');
    const admin = await h.api('GET', `/api/commands/${commandToOwnLamp}`, {
      token: h.tokens.admin,
    });
    expect(admin.json.command.issuedBy).toBe('operator');
  });

  test('errors carry a code beside the status', async () => {
    const r = await h.api('GET', '/api/lamps/NOPE-1', { token: h.tokens.admin });
    expect(r.json).toMatchObject({ ok: false, status: 404, code: 'not_found' });
  });
});

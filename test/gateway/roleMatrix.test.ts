/**
 * Every operation of the REST table (the one the routes are built from) against every role, and
 * without a token. A new operation without a sample request here fails the test, so the matrix
 * stays complete.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { can, ROLES, type Role } from '../../services/gateway/auth/roles.ts';
import { OPERATIONS } from '../../services/gateway/rest/operations/index.ts';
import { type Harness, startHarness, VENDOR_A } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ store: 'memory' });
  const r = await h.api('POST', '/api/programs', {
    token: h.tokens.admin,
    body: program('matrix'),
  });
  expect(r.status, r.text).toBe(201);
  const t = await h.api('POST', '/api/trials', { token: h.tokens.admin, body: trial('matrix') });
  expect(t.status, t.text).toBe(201);
});
afterAll(async () => {
  await h?.stop();
});

function trial(id: string) {
  return {
    id,
    name: 'Matrix',
    vendorId: VENDOR_A,
    test: { lampIds: [h.broker.registry.lampsOfVendor(VENDOR_A)[0]!.id] },
    control: { kind: 'sameStreets' },
    fromNight: '2026-11-18',
    toNight: '2026-11-18',
  };
}

function program(id: string) {
  return { id, name: 'Lejre', steps: [{ at: { kind: 'fixed', time: '22:00' }, level: 50 }] };
}

let n = 0;
const ownLamp = () => h.broker.registry.lampsOfVendor(VENDOR_A)[0]!.id;
/** A request that is valid apart from authorization, for each operation. */
async function sample(
  method: string,
  path: string,
  role: Role,
): Promise<{ path: string; body?: unknown; token?: string }> {
  n += 1;
  const key = `${method} ${path}`;
  switch (key) {
    case 'post /api/auth/logout': {
      // a throwaway token, so the role's own token survives
      const t = await h.api('POST', '/api/tokens', {
        token: h.tokens[role],
        body: { name: `logout ${n}` },
      });
      return { path, token: t.json.token };
    }
    case 'post /api/users':
      return {
        path,
        body: { username: `u${n}-${role}`, password: 'twelve chars!!', role: 'viewer' },
      };
    case 'delete /api/users/{username}':
      return { path: '/api/users/nobody-here' };
    case 'post /api/tokens':
      return { path, body: { name: `t${n}` } };
    case 'delete /api/tokens/{id}':
      return { path: '/api/tokens/000000000000' };
    case 'get /api/lamps/{lampId}':
      return { path: `/api/lamps/${ownLamp()}` };
    case 'get /api/history':
      return { path: `${path}?field=activePower&bucketMs=600000` };
    case 'post /api/alarms/{alarmId}/ack':
      return { path: `/api/alarms/commsLost:${ownLamp()}/ack`, body: {} };
    case 'post /api/commands':
      return {
        path,
        body: { target: { kind: 'lamp', lampId: 'DOLL-0003' }, action: { type: 'release' } },
      };
    case 'get /api/commands/{commandId}':
      return { path: '/api/commands/cmd-none' };
    case 'post /api/programs':
      return { path, body: program(`p${n}`) };
    case 'put /api/programs/{programId}':
      return { path: '/api/programs/matrix', body: program('matrix') };
    case 'delete /api/programs/{programId}':
      return { path: '/api/programs/none' };
    case 'post /api/programs/{programId}/assign':
      return { path: '/api/programs/matrix/assign', body: { lampIds: ['DOLL-0004'] } };
    case 'post /api/registry/inventory': {
      const lamp = h.broker.registry.lamps[0]!;
      const csv = `id,lon,lat,segmentId,controllerId,modelId\nP1,${lamp.lon},${lamp.lat},s1,c1,${lamp.modelId}`;
      return { path, body: { format: 'csv', content: csv, dryRun: true } };
    }
    case 'get /api/reports/vendor/{vendorId}':
      return { path: `/api/reports/vendor/${VENDOR_A}?nights=1` };
    case 'post /api/trials':
      return { path, body: trial(`t${n}`) };
    case 'delete /api/trials/{trialId}':
      return { path: '/api/trials/none' };
    case 'get /api/trials/{trialId}/report':
      return { path: '/api/trials/matrix/report' };
    case 'post /api/reports/schedules':
      return { path, body: { id: `s${n}`, vendorId: VENDOR_A, every: 'day' } };
    case 'delete /api/reports/schedules/{scheduleId}':
      return { path: '/api/reports/schedules/none' };
    case 'get /api/reports/files/{name}':
      return { path: '/api/reports/files/none-2026-11-18.csv' };
    default:
      if (path.includes('{')) throw new Error(`no sample request for ${key}: add one`);
      return { path };
  }
}

const PUBLIC = new Set([
  '/api/health',
  '/api/auth/login',
  '/api/auth/bootstrap',
  '/openapi.json',
  '/metrics',
]);

describe('role matrix', () => {
  for (const op of OPERATIONS) {
    test(`${op.method.toUpperCase()} ${op.path}`, async () => {
      expect(op.access === 'public', `${op.path} is public only if listed`).toBe(
        PUBLIC.has(op.path),
      );
      if (op.access === 'public') return;
      const anon = await sample(op.method, op.path, 'viewer');
      const unauth = await h.api(op.method.toUpperCase(), anon.path, { body: anon.body });
      expect(unauth.status, `${op.path} without a token`).toBe(401);
      const bad = await h.api(op.method.toUpperCase(), anon.path, {
        body: anon.body,
        token: 'gdk_not-a-real-token-at-all',
      });
      expect(bad.status).toBe(401);
      for (const role of ROLES) {
        const s = await sample(op.method, op.path, role);
        const r = await h.api(op.method.toUpperCase(), s.path, {
          token: s.token ?? h.tokens[role],
          body: s.body,
        });
        const allowed = op.access === 'authenticated' || can(role, op.access);
        if (allowed) {
          expect([401, 403, 500], `${role} ${op.method} ${s.path}: ${r.text}`).not.toContain(
            r.status,
          );
          expect(r.status, `${role} ${op.method} ${s.path}: ${r.text}`).toBeLessThan(500);
        } else {
          expect(r.status, `${role} ${op.method} ${s.path}: ${r.text}`).toBe(403);
        }
        expect(r.text).not.toMatch(/at .*\.ts:\d+/);
      }
    });
  }
});

test('public endpoints answer without a token', async () => {
  expect((await h.api('GET', '/api/health')).status).toBe(200);
  expect((await h.api('GET', '/openapi.json')).json.openapi).toBe('3.1.0');
  const login = await h.api('POST', '/api/auth/login', {
    body: { username: 'viewer', password: 'wrong password!' },
  });
  expect(login.status).toBe(401);
  const boot = await h.api('POST', '/api/auth/bootstrap', {
    body: { secret: 'x', username: 'evil', password: 'twelve chars!!' },
  });
  expect(boot.status).toBe(409);
});

test('an unknown API path is 404 for a signed-in user and 401 without a token', async () => {
  expect((await h.api('GET', '/api/nope', { token: h.tokens.viewer })).status).toBe(404);
  expect((await h.api('GET', '/api/nope')).status).toBe(401);
});

/** Hostile input: every attempt is a 4xx with a JSON error, never a stack trace or a 500. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { safeCsvCell } from '../../services/gateway/reports/vendorReport.ts';
import { type Harness, startHarness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ store: 'memory' });
});
afterAll(async () => {
  await h?.stop();
});

const ATTEMPTS: [string, string, unknown?][] = [
  [
    'GET',
    `/api/history?field=${encodeURIComponent('activePower" FROM x; DROP DATABASE gadelys; --')}`,
  ],
  ['GET', `/api/history?field=activePower&lampIds=${encodeURIComponent("DOLL-0001' OR '1'='1")}`],
  ['GET', `/api/history?field=activePower&segmentId=${encodeURIComponent('seg-01"/**/OR/**/1=1')}`],
  ['GET', `/api/history?field=activePower&segmentId=a&segmentId=b`],
  ['GET', `/api/history?field=activePower&bucketMs=${encodeURIComponent('1; DROP')}`],
  ['GET', `/api/history?field=activePower&agg=${encodeURIComponent('mean) FROM x --')}`],
  ['GET', `/api/energy?groupBy=${encodeURIComponent('lamp; DELETE')}`],
  ['GET', `/api/events?from=${encodeURIComponent("0' OR 1=1")}`],
  ['GET', `/api/lamps/${encodeURIComponent('../../etc/passwd')}`],
  ['GET', `/api/lamps?modelId=${encodeURIComponent('<script>alert(1)</script>')}`],
  ['GET', `/api/reports/vendor/${encodeURIComponent('nordlys"; --')}`],
  ['GET', '/api/audit?action=rm%20-rf'],
  [
    'POST',
    '/api/commands',
    { target: { kind: 'lamp', lampId: 'DOLL-0001/+/#' }, action: { type: 'release' } },
  ],
  [
    'POST',
    '/api/commands',
    JSON.parse(
      '{"target":{"kind":"lamp","lampId":"DOLL-0001"},"action":{"type":"release"},"__proto__":{"admin":true}}',
    ),
  ],
  [
    'POST',
    '/api/commands',
    JSON.parse(
      '{"target":{"kind":"route"},"action":{"type":"override","level":5,"constructor":{"prototype":{"x":1}}}}',
    ),
  ],
  [
    'POST',
    '/api/commands',
    { target: { kind: 'route' }, action: { type: 'override', level: 'NaN' } },
  ],
  [
    'POST',
    '/api/programs',
    {
      id: '../../../tmp/x',
      name: 'x',
      steps: [{ at: { kind: 'fixed', time: '22:00' }, level: 50 }],
    },
  ],
  [
    'POST',
    '/api/programs',
    { id: 'p', name: 'x', steps: [{ at: { kind: 'fixed', time: '25:99' }, level: 50 }] },
  ],
  ['POST', '/api/users', { username: "admin' --", password: 'twelve chars!!', role: 'admin' }],
  ['POST', '/api/users', { username: 'eve', password: 'twelve chars!!', role: 'superuser' }],
];

test.each(ATTEMPTS)('%s %s is refused with a 4xx JSON error', async (method, path, body) => {
  const r = await h.api(method, path, { token: h.tokens.admin, body });
  expect(r.status, r.text).toBeGreaterThanOrEqual(400);
  expect(r.status, r.text).toBeLessThan(500);
  expect(r.json).toMatchObject({ ok: false, status: r.status });
  expect(r.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  expect(({} as Record<string, unknown>).admin).toBeUndefined();
});

test('a bad body names the failing paths', async () => {
  const r = await h.api('POST', '/api/commands', {
    token: h.tokens.admin,
    body: {
      target: { kind: 'lamp', lampId: 'DOLL 1' },
      action: { type: 'override', level: 101, rampMs: -1 },
    },
  });
  expect(r.status).toBe(400);
  expect(r.json.issues.map((i: { path: string }) => i.path).sort()).toEqual([
    'action.level',
    'action.rampMs',
    'target.lampId',
  ]);
});

test('oversized and malformed bodies', async () => {
  const big = await h.api('POST', '/api/programs', {
    token: h.tokens.admin,
    raw: JSON.stringify({ name: 'x'.repeat(100_000) }),
  });
  expect(big.status).toBe(413);
  const broken = await h.api('POST', '/api/programs', {
    token: h.tokens.admin,
    raw: '{"id": "p", ',
  });
  expect(broken.status).toBe(400);
  expect(broken.text).not.toContain('at JSON.parse');
});

test('login: SQL-ish usernames fail like any wrong password; login attempts are rate limited', async () => {
  const attempt = () =>
    h.api('POST', '/api/auth/login', {
      body: { username: "admin' OR '1'='1", password: "' OR ''='" },
    });
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) statuses.push((await attempt()).status);
  expect(statuses[0]).toBe(401);
  expect(statuses).toContain(429);
  expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
});

test('forged and malformed bearer tokens are 401', async () => {
  for (const header of [
    'Bearer ',
    'Bearer x',
    'Basic YWRtaW46YWRtaW4=',
    `Bearer ${h.tokens.admin}x`,
    `Bearer ${'a'.repeat(5000)}`,
  ]) {
    const r = await fetch(`${h.base}/api/lamps`, { headers: { authorization: header } });
    expect(r.status, header.slice(0, 30)).toBe(401);
  }
});

test('CSV cells cannot carry spreadsheet formulas', () => {
  expect(safeCsvCell('=HYPERLINK("http://evil","x")')).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`);
  expect(safeCsvCell('+1+1')).toBe("'+1+1");
  expect(safeCsvCell('@SUM(A1)')).toBe("'@SUM(A1)");
  expect(safeCsvCell(-3.5)).toBe('-3.5');
  expect(safeCsvCell(null)).toBe('');
  expect(safeCsvCell('a,b')).toBe('"a,b"');
});

test('the dashboard route serves only the files its build produced, as bundled JavaScript', async () => {
  for (const path of [
    '/dashboard/..%2Fpackage.json',
    '/dashboard/%2e%2e%2f.env.example',
    '/dashboard/nope.ts',
    '/dashboard/src/main.ts',
    '/dashboard/.env',
    '/dashboard/assets/..%2F..%2Fpackage.json',
    '/dashboard/assets/main.ts',
  ]) {
    const r = await fetch(`${h.base}${path}`);
    expect(r.status, path).toBe(404);
    expect(await r.text()).not.toContain('"name": "gadelys"');
  }
  const page = await (await fetch(`${h.base}/dashboard/`)).text();
  const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(page)?.[1];
  expect(script, page).toBeDefined();
  const js = await fetch(`${h.base}${script}`);
  expect(js.headers.get('content-type')).toMatch(/^text\/javascript|^application\/javascript/);
  const text = await js.text();
  expect(text).not.toMatch(/import type|: Promise<void>/);
  expect(js.headers.get('content-security-policy')).toContain("default-src 'self'");
});

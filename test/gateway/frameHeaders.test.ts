import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Harness, startHarness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

// The dashboard sets frame-ancestors itself; an API answer (JSON, CSV, a PDF report) framed by
// another site could be clickjacked or read through the frame just the same.
test.each([
  ['an API answer', '/api/auth/me'],
  ['the OpenAPI document', '/openapi.json'],
  ['an unknown API path', '/api/no-such-thing'],
  ['the dashboard', '/'],
])('%s may not be framed (X-Frame-Options: DENY)', async (_what, path) => {
  const r = await fetch(`${h.base}${path}`);
  expect(r.headers.get('x-frame-options')).toBe('DENY');
});

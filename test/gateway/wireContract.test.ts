/**
 * The dashboard takes only types from the services: a value import would bundle server code
 * (and its secrets' handling) into the page. Checked on the source, every file of dashboards/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '../../dashboards');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'grafana' || e.name === 'node_modules' ? [] : sources(p);
    return /\.(ts|tsx|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

/** `import ... from '...services/...'` statements that are not `import type`. */
function valueImportsFromServices(source: string): string[] {
  const found: string[] = [];
  const re = /(^|\n)\s*(import|export)\s+([^;]*?)\s+from\s+['"]([^'"]+)['"]/g;
  for (const m of source.matchAll(re)) {
    const [, , kw, clause = '', spec = ''] = m;
    if (!/(^|\/)services\//.test(spec)) continue;
    const typeOnly =
      /^type\s/.test(clause) || /^\{\s*(type\s+[\w$]+\s*(as\s+[\w$]+\s*)?,?\s*)+\}$/.test(clause);
    if (!typeOnly) found.push(`${kw} ${clause} from '${spec}'`);
  }
  for (const m of source.matchAll(/import\(\s*['"]([^'"]*services\/[^'"]*)['"]\s*\)/g))
    found.push(`import('${m[1]}')`);
  return found;
}

test('the rule tells a type import from a value import', () => {
  expect(
    valueImportsFromServices("import type { A } from '../../services/gateway/api.ts';"),
  ).toEqual([]);
  expect(
    valueImportsFromServices("import { type A, type B } from '../services/gateway/api.ts';"),
  ).toEqual([]);
  expect(valueImportsFromServices("import { A } from '../services/gateway/api.ts';")).toHaveLength(
    1,
  );
  expect(
    valueImportsFromServices("import { type A, B } from '../services/gateway/api.ts';"),
  ).toHaveLength(1);
  expect(valueImportsFromServices("export { A } from '../services/gateway/api.ts';")).toHaveLength(
    1,
  );
  expect(
    valueImportsFromServices("const m = import('../services/gateway/errors.ts');"),
  ).toHaveLength(1);
  expect(valueImportsFromServices("import { z } from 'zod';")).toEqual([]);
});

test('no file of the dashboard imports a value from services/', () => {
  const files = sources(ROOT);
  expect(files.length).toBeGreaterThan(5);
  const offending = files.flatMap((f) =>
    valueImportsFromServices(readFileSync(f, 'utf8')).map((i) => `${relative(ROOT, f)}: ${i}`),
  );
  expect(offending).toEqual([]);
});

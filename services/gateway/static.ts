import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';

const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboards/', import.meta.url));
/** Only plain names in the dashboard folder: no path can leave it. */
const NAME = /^[a-z][A-Za-z0-9]*\.(html|css|ts)$/;
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  // TypeScript modules are served with their types stripped, as JavaScript.
  ts: 'text/javascript; charset=utf-8',
};

/**
 * The dashboard is TypeScript that imports the shared contract's types only; types are erased
 * here once per file (no bundler), so the browser gets plain ES modules. Module imports keep
 * their `.ts` names, which this route serves as JavaScript.
 */
async function stripTypes(source: string): Promise<string> {
  const ts = await import('typescript');
  const out = ts.transpileModule(source, {
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      verbatimModuleSyntax: false,
    },
  });
  return out.outputText;
}

export function dashboardRoutes(): Router {
  const r = Router();
  const cache = new Map<string, Promise<string>>();
  const load = (name: string) => {
    let p = cache.get(name);
    if (!p) {
      p = readFile(`${DASHBOARD_DIR}${name}`, 'utf8').then((text) =>
        name.endsWith('.ts') ? stripTypes(text) : text,
      );
      p.catch(() => cache.delete(name));
      cache.set(name, p);
    }
    return p;
  };
  r.get('/', (_req, res) => res.redirect('/dashboard/'));
  r.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  r.get('/dashboard{/:name}', async (req, res) => {
    const given = (req.params as { name?: string }).name;
    // relative URLs in the page need the trailing slash
    if (given === undefined && !req.path.endsWith('/')) {
      res.redirect('/dashboard/');
      return;
    }
    const name = given ?? 'index.html';
    const match = NAME.exec(name);
    const body = match ? await load(name).catch(() => undefined) : undefined;
    if (!match || body === undefined) {
      res.status(404).type('text/plain').send('not found');
      return;
    }
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'",
    );
    res.type(TYPES[match[1]!]!).send(body);
  });
  return r;
}

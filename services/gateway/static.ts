import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Response, Router } from 'express';
import {
  ASSET_PREFIX,
  DASHBOARD_OUT_DIR,
  type DashboardManifest,
  ensureDashboard,
} from '../../scripts/buildDashboard.ts';

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
};

/**
 * Nothing but our own origin: no CDN, no inline script or style element, and no framing
 * (clickjacking a command console is the risk). uPlot and the map set element styles through
 * the CSSOM, which `style-src` does not govern.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface LoadedBundle {
  manifest: DashboardManifest;
  index: string;
  assets: Map<string, Buffer>;
}

async function loadBundle(outDir: string): Promise<LoadedBundle> {
  const { manifest } = await ensureDashboard({ outDir });
  const index = await readFile(join(outDir, 'index.html'), 'utf8');
  const assets = new Map<string, Buffer>();
  for (const name of Object.keys(manifest.assets)) {
    assets.set(name.slice(ASSET_PREFIX.length), await readFile(join(outDir, name)));
  }
  return { manifest, index, assets };
}

export interface DashboardRouteOptions {
  outDir?: string;
  /** Told once if the bundle cannot be built or read. */
  onError?: (err: unknown) => void;
}

/**
 * The web app at /dashboard/: `index.html` is never cached (it names the current build), the
 * content-hashed assets are cached for a year. The bundle is built (if stale) and read into
 * memory once, when the routes are created; requests before that wait for it.
 */
export function dashboardRoutes(opts: DashboardRouteOptions = {}): Router {
  const r = Router();
  const bundle = loadBundle(opts.outDir ?? DASHBOARD_OUT_DIR);
  bundle.catch((err: unknown) => opts.onError?.(err));
  const secure = (res: Response) => {
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
  };
  const unavailable = (res: Response, err: unknown) =>
    res
      .status(503)
      .type('text/plain')
      .send(`dashboard bundle unavailable (npm run build:dashboard): ${String(err)}`);

  r.get('/', (_req, res) => res.redirect('/dashboard/'));
  r.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  r.get('/dashboard', async (req, res) => {
    // Routing is not strict ('/dashboard' matches too): asset URLs are absolute, but the app's
    // own address should have one spelling.
    if (!req.path.endsWith('/')) return res.redirect('/dashboard/');
    const b = await bundle.catch((err: unknown) => err as Error);
    if (b instanceof Error) return void unavailable(res, b);
    secure(res);
    res.setHeader('Cache-Control', 'no-store');
    res.type('text/html; charset=utf-8').send(b.index);
  });
  r.get('/dashboard/assets/:name', async (req, res) => {
    const b = await bundle.catch((err: unknown) => err as Error);
    if (b instanceof Error) return void unavailable(res, b);
    // Only names this build produced: a map lookup, so no path can leave the folder.
    const name = String(req.params.name);
    const body = b.assets.get(name);
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)];
    if (!body || !type) {
      res.status(404).type('text/plain').send('not found');
      return;
    }
    secure(res);
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.type(type).send(body);
  });
  return r;
}

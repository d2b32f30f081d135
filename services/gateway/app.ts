import express from 'express';
import type { Registry } from '../../shared/registry/index.ts';

export interface AppDeps {
  registry: Registry;
  /** Injected clock, epoch ms. */
  now?: () => number;
}

/** The REST API under /api/. */
export function createApp({ registry, now = Date.now }: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const startedAt = now();
  app.get('/api/health', (_req, res) => {
    res.json({ ok: true, service: 'gateway', uptimeS: Math.round((now() - startedAt) / 1000) });
  });
  app.get('/api/lamps', (_req, res) => {
    res.json({ approximate: registry.approximate, count: registry.lamps.length, lamps: registry.lamps });
  });
  app.use('/api', (_req, res) => {
    res.status(404).json({ ok: false, error: 'not found' });
  });
  return app;
}

import express from 'express';
import type { GatewayContext } from './context.ts';
import { errorHandler, HttpError } from './http/errors.ts';
import { buildOpenApi } from './openapi.ts';
import { authRoutes } from './routes/authRoutes.ts';
import { commandRoutes } from './routes/commandRoutes.ts';
import { dataRoutes } from './routes/dataRoutes.ts';
import { inventoryImport } from './routes/inventoryRoutes.ts';
import { registryRoutes } from './routes/registryRoutes.ts';
import { reportRoutes } from './routes/reportRoutes.ts';
import { dashboardRoutes } from './static.ts';

/** Largest REST body; a program or a command is a few hundred bytes. */
const MAX_BODY = '64kb';

/**
 * The HTTP app: REST under /api/, the OpenAPI document and the dashboard. `trustProxy` is
 * GATEWAY_TRUST_PROXY: which proxies may name the client address the login limit keys on.
 */
export function createApp(
  ctx: GatewayContext,
  trustProxy: string | number | false = false,
): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy);
  app.set('query parser', 'simple');
  const startedAt = ctx.now();
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.get('/api/health', (_req, res) => {
    res.json({
      ok: true,
      service: 'gateway',
      uptimeS: Math.round((ctx.now() - startedAt) / 1000),
      store: ctx.store?.kind ?? null,
    });
  });
  const openapi = buildOpenApi();
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.post('/api/registry/inventory', ...inventoryImport(ctx, ctx.dataDir));
  app.use('/api', express.json({ limit: MAX_BODY, strict: true }));
  app.use('/api', authRoutes(ctx));
  app.use('/api', registryRoutes(ctx));
  app.use('/api', dataRoutes(ctx));
  app.use('/api', commandRoutes(ctx));
  app.use('/api', reportRoutes(ctx));
  app.use('/api', () => {
    throw new HttpError(404, 'not found');
  });
  app.use(dashboardRoutes());
  app.use(errorHandler(ctx.log));
  return app;
}

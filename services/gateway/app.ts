import express from 'express';
import type { GatewayContext } from './context.ts';
import { errorHandler } from './http/errors.ts';
import { mount } from './rest/mount.ts';
import { buildOpenApi } from './rest/openapi.ts';
import { OPERATIONS } from './rest/operations/index.ts';
import { dashboardRoutes } from './static.ts';

/**
 * The HTTP app: every REST operation of the table (and `/openapi.json`, generated from it), then
 * the dashboard. `trustProxy` is GATEWAY_TRUST_PROXY: which proxies may name the client address
 * the login limit keys on.
 */
export function createApp(
  ctx: GatewayContext,
  trustProxy: string | number | false = false,
): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy);
  app.set('query parser', 'simple');
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    // Every answer, not only the dashboard: a framed API answer can be clickjacked too.
    res.setHeader('X-Frame-Options', 'DENY');
    next();
  });
  ctx.apiDocument = buildOpenApi(OPERATIONS);
  mount(app, ctx, OPERATIONS);
  app.use(dashboardRoutes());
  app.use(errorHandler(ctx.log));
  return app;
}

import { createServer, type Server } from 'node:http';
import { sameSecret } from './credentials.ts';

export interface StatusSources {
  /** When set, every request needs `Authorization: Bearer <token>` (401 otherwise). */
  token?: string | undefined;
  metrics: () => Promise<string>;
  contentType: string;
  health: () => { status: 'ok' | 'stopping' } & Record<string, unknown>;
}

/** GET /metrics (Prometheus text) and GET /health (JSON; 503 while stopping). */
export function createStatusServer(sources: StatusSources): Server {
  const wanted = sources.token === undefined ? undefined : `Bearer ${sources.token}`;
  return createServer((req, res) => {
    if (wanted !== undefined && !sameSecret(req.headers.authorization ?? '', wanted)) {
      res
        .writeHead(401, { 'www-authenticate': 'Bearer', 'content-type': 'text/plain' })
        .end('bearer token required\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      sources.metrics().then(
        (text) => res.writeHead(200, { 'content-type': sources.contentType }).end(text),
        (err: Error) =>
          res
            .writeHead(500, { 'content-type': 'text/plain' })
            .end(`metrics failed: ${err.message}\n`),
      );
      return;
    }
    if (path === '/health') {
      const body = sources.health();
      res
        .writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' })
        .end(`${JSON.stringify(body)}\n`);
      return;
    }
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('not found: try /metrics or /health\n');
  });
}

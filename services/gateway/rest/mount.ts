import express, {
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import type { z } from 'zod';
import { checkAccess } from '../access.ts';
import type { Principal } from '../auth/roles.ts';
import { bearerOf, type GatewayContext } from '../context.ts';
import { GatewayError, parseInput } from '../errors.ts';
import { jsonText } from './numbers.ts';
import { type Operation, RawAnswer, StatusAnswer, StreamAnswer } from './operation.ts';

/** Largest REST body unless an operation says otherwise; a program or a command is a few hundred bytes. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** `/api/lamps/{lampId}` -> `/api/lamps/:lampId`. */
export const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/** The caller of a request, or undefined without a valid token. */
export async function callerOf(ctx: GatewayContext, req: Request): Promise<Principal | undefined> {
  const token = bearerOf(req.headers.authorization);
  return token ? ctx.users.authenticateNow(token) : undefined;
}

const ANONYMOUS = new Proxy({} as Principal, {
  get() {
    throw new GatewayError('unauthenticated', 'authentication required');
  },
});

/**
 * Build one express route per operation. Order per request: token (401), access (403), then
 * the body (parsed only for a caller who may call: no anonymous multi-megabyte parse), path,
 * query and body schemas (400), the handler, and the answer with the operation's status.
 */
export function mount(app: Express, ctx: GatewayContext, operations: readonly Operation[]): void {
  for (const op of operations) {
    // Express 5 passes a rejected promise on as the request's error.
    const guard: RequestHandler = async (req, _res, next) => {
      const principal = await callerOf(ctx, req);
      checkAccess(principal, op.access);
      (req as Request & { principal?: Principal }).principal = principal;
      next();
    };
    const parseBody = express.json({
      limit: op.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      strict: true,
    });
    const handle = async (req: Request, res: Response) => {
      const principal = (req as Request & { principal?: Principal }).principal ?? ANONYMOUS;
      const input = {
        ctx,
        principal,
        req,
        params: parsed(op.params, req.params, 'path'),
        query: parsed(op.query, req.query, 'query'),
        body: parsed(op.body, req.body ?? {}, 'body'),
      };
      const answer = await op.handler(input as Parameters<Operation['handler']>[0]);
      if (answer instanceof StreamAnswer) return sendStream(res, op.status, answer);
      if (answer instanceof RawAnswer) {
        for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
        res.status(op.status).type(answer.contentType);
        const { body } = answer;
        if (body instanceof Uint8Array)
          res.send(Buffer.from(body.buffer, body.byteOffset, body.length));
        else res.send(typeof body === 'string' ? body : jsonText(body));
        return;
      }
      const [status, body] =
        answer instanceof StatusAnswer ? [answer.status, answer.body] : [op.status, answer];
      res.status(status).type('application/json').send(jsonText(body));
    };
    const count: RequestHandler = (_req, res, next) => {
      res.once('finish', () =>
        ctx.metrics.requests.inc({ operation: op.id, status: String(res.statusCode) }),
      );
      next();
    };
    const route: RequestHandler[] = [count, guard];
    if (op.body) route.push(parseBody);
    route.push(handle as RequestHandler);
    app[op.method](expressPath(op.path), ...route);
  }
  // Anything else under /api: 401 without a token (paths are not probed anonymously), 404 with.
  app.use('/api', async (req: Request, _res: Response, next: NextFunction) => {
    checkAccess(await callerOf(ctx, req), 'authenticated');
    next(new GatewayError('not_found', 'not found'));
  });
}

/** Write a streamed answer chunk by chunk, waiting whenever the client's socket is full. */
async function sendStream(res: Response, status: number, answer: StreamAnswer): Promise<void> {
  const chunks = answer.chunks[Symbol.asyncIterator]();
  let next = await chunks.next();
  res.status(status).type(answer.contentType).setHeader('cache-control', 'no-store');
  let closed = false;
  const gone = new Promise<void>((resolve) =>
    res.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  try {
    while (!next.done && !closed) {
      if (!res.write(next.value))
        await Promise.race([new Promise((resolve) => res.once('drain', resolve)), gone]);
      if (closed) break;
      next = await chunks.next();
    }
    if (closed) await chunks.return?.();
    else res.end();
  } catch (err) {
    res.destroy(err as Error);
  }
}

function parsed(schema: z.ZodType | undefined, value: unknown, what: string): unknown {
  return schema ? parseInput(schema, value, what) : undefined;
}

import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import type { Logger } from '../../../shared/log.ts';
import { StoreError, StoreQueryError } from '../../../shared/storage/port.ts';

export interface Issue {
  path: string;
  message: string;
}

/** An error with the HTTP status it maps to; the only kind whose message reaches a client. */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 503,
    message: string,
    readonly issues?: Issue[],
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function zodIssues(error: z.ZodError): Issue[] {
  return error.issues
    .slice(0, 20)
    .map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
}

/** Parse with a schema or throw a 400 naming the failing paths. */
export function parseOr400<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = zodIssues(r.error);
    throw new HttpError(
      400,
      `invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return r.data;
}

export function errorBody(err: HttpError): Record<string, unknown> {
  const body: Record<string, unknown> = { ok: false, status: err.status, error: err.message };
  if (err.issues) body.issues = err.issues;
  return body;
}

/** The last middleware: a JSON error, never a stack trace. */
export function errorHandler(log: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    let httpErr: HttpError;
    if (err instanceof HttpError) httpErr = err;
    else if (err instanceof StoreQueryError) {
      httpErr = new HttpError(400, `invalid query: ${err.message}`, [
        { path: err.path, message: err.message },
      ]);
    } else if (err instanceof StoreError) {
      log.warn({ err: err.message }, 'storage unavailable');
      httpErr = new HttpError(503, 'storage unavailable, try again');
    } else if (isBodyParserError(err)) {
      httpErr =
        err.type === 'entity.too.large'
          ? new HttpError(413, 'request body too large')
          : new HttpError(400, 'request body is not valid JSON');
    } else {
      log.error({ err }, 'request failed');
      res.status(500).json({ ok: false, status: 500, error: 'internal error' });
      return;
    }
    if (httpErr.retryAfterS !== undefined)
      res.setHeader('Retry-After', String(httpErr.retryAfterS));
    res.status(httpErr.status).json(errorBody(httpErr));
  };
}

function isBodyParserError(err: unknown): err is { type: string; status: number } {
  return (
    typeof err === 'object' &&
    err !== null &&
    'type' in err &&
    typeof (err as { type: unknown }).type === 'string'
  );
}

import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../../../shared/log.ts';
import { StoreError } from '../../../shared/storage/port.ts';
import { asGatewayError, errorBody, GatewayError } from '../errors.ts';

/** The last middleware: GatewayErrors as their status and JSON body, never a stack trace. */
export function errorHandler(log: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    let known = asGatewayError(err);
    if (!known && isBodyParserError(err)) {
      known =
        err.type === 'entity.too.large'
          ? new GatewayError('too_large', 'request body too large')
          : new GatewayError('invalid', 'request body is not valid JSON');
    }
    if (!known) {
      log.error({ err }, 'request failed');
      res.status(500).json({ ok: false, status: 500, code: 'internal', error: 'internal error' });
      return;
    }
    if (err instanceof StoreError && known.code === 'unavailable')
      log.warn({ err: err.message }, 'storage unavailable');
    if (known.retryAfterS !== undefined) res.setHeader('Retry-After', String(known.retryAfterS));
    res.status(known.status).json(errorBody(known));
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

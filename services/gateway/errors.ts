/**
 * The gateway's one error type. Code that decides (access rules, the command service, stores,
 * handlers) throws a GatewayError with a code; the HTTP and WebSocket adapters map the code to a
 * status. It is the only kind of error whose message reaches a client.
 */
import type { z } from 'zod';
import { StoreError, StoreQueryError } from '../../shared/storage/port.ts';
import { StoreTimeoutError } from '../../shared/storage/readTimeout.ts';

/** Each code and the HTTP status it maps to (the WebSocket's error frames carry the same). */
export const ERROR_STATUS = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

export interface Issue {
  path: string;
  message: string;
}

export class GatewayError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: Issue[],
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  get status(): ErrorStatus {
    return ERROR_STATUS[this.code];
  }
}

export function zodIssues(error: z.ZodError): Issue[] {
  return error.issues
    .slice(0, 20)
    .map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
}

/** Parse with a schema or throw `invalid`, naming the failing paths. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = zodIssues(r.error);
    throw new GatewayError(
      'invalid',
      `invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return r.data;
}

/**
 * The GatewayError an error stands for, or undefined for an unexpected one (logged, answered
 * as a bare 500). Storage errors become `invalid` (a query the store refused) or `unavailable`.
 */
export function asGatewayError(err: unknown): GatewayError | undefined {
  if (err instanceof GatewayError) return err;
  if (err instanceof StoreQueryError)
    return new GatewayError('invalid', `invalid query: ${err.message}`, [
      { path: err.path, message: err.message },
    ]);
  if (err instanceof StoreTimeoutError)
    return new GatewayError('unavailable', `storage unavailable: ${err.message}; try again`);
  if (err instanceof StoreError)
    return new GatewayError('unavailable', 'storage unavailable, try again');
  return undefined;
}

/** The JSON body of an error answer, REST and WebSocket alike. */
export function errorBody(err: GatewayError): {
  ok: false;
  status: ErrorStatus;
  code: ErrorCode;
  error: string;
  issues?: Issue[];
} {
  return {
    ok: false,
    status: err.status,
    code: err.code,
    error: err.message,
    ...(err.issues ? { issues: err.issues } : {}),
  };
}

/**
 * One REST operation as one object: method, path, who may call it, the schemas of its path,
 * query, body and answer, its success status, and its handler. `mount()` builds the express
 * routes from these objects and `buildOpenApi()` documents the same objects, so the routes and
 * the document cannot disagree.
 */
import type { Request } from 'express';
import type { z } from 'zod';
import type { Permission, Principal } from '../auth/roles.ts';
import type { GatewayContext } from '../context.ts';

/** Who may call: a permission, any signed-in caller, or anyone. */
export type Access = Permission | 'authenticated' | 'public';

export type SuccessStatus = 200 | 201 | 202;

export interface OperationInput<P, Q, B> {
  ctx: GatewayContext;
  /** The caller; reading it in a public operation throws `unauthenticated`. */
  principal: Principal;
  params: P;
  query: Q;
  body: B;
  /** The raw request, for the client address (login limits). */
  req: Request;
}

/** An answer that is not the JSON envelope: a CSV file, an NGSI-LD document, a PDF's bytes. */
export class RawAnswer {
  constructor(
    readonly contentType: string,
    readonly body: string | Uint8Array | unknown[] | Record<string, unknown>,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

/** A JSON answer with another documented status than the operation's own (a dry run's 200). */
export class StatusAnswer<T> {
  constructor(
    readonly status: SuccessStatus,
    readonly body: T,
  ) {}
}

/**
 * A streamed answer: text chunks written as they are produced, with back-pressure (a replay as
 * NDJSON). The first chunk is produced before anything is sent, so an error up to there is
 * answered like any other; a later one cuts the stream short (the format's last line is missing).
 */
export class StreamAnswer {
  constructor(
    readonly contentType: string,
    readonly chunks: AsyncIterable<string>,
  ) {}
}

type Answer<T> = T | RawAnswer | StatusAnswer<unknown> | StreamAnswer;

type Handler<P, Q, B, T> = (input: OperationInput<P, Q, B>) => Answer<T> | Promise<Answer<T>>;

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface Operation<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  R extends z.ZodType = z.ZodType,
> {
  /** OpenAPI operationId. */
  id: string;
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI style: `/api/lamps/{lampId}`. */
  path: string;
  summary: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** The JSON answer on success. */
  response: R;
  status: SuccessStatus;
  /** Other success answers the handler may give, documented beside the main one. */
  alsoAnswers?: readonly {
    status: SuccessStatus;
    response?: z.ZodType;
    contentType?: string;
    description: string;
  }[];
  /** Content type of the main answer when it is not `application/json`. */
  contentType?: string;
  /** Largest body, bytes; the API default (64 kB) when absent. */
  maxBodyBytes?: number;
  /** Documented: the caller may get 429 with Retry-After. */
  rateLimited?: boolean;
  handler: NoInfer<Handler<Out<P>, Out<Q>, Out<B>, z.input<R>>>;
}

/** Define an operation with its schemas' types flowing into the handler. */
export function operation<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends z.ZodType = z.ZodType,
>(op: Operation<P, Q, B, R>): Operation {
  return op as unknown as Operation;
}

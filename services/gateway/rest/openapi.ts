/**
 * The OpenAPI 3.1 document, generated from the operations table: the same objects `mount()`
 * builds the routes from. Schemas come from zod through z.toJSONSchema (JSON Schema 2020-12,
 * which OpenAPI 3.1 uses as is); nothing is written twice.
 */
import { z } from 'zod';
import {
  Alarm,
  CommandAck,
  LampCommand,
  LampEvent,
  LampStatus,
  NightProgram,
  SegmentBatch,
  Telemetry,
} from '../../../shared/contract/index.ts';
import { LampPost, LuminaireModel, Vendor } from '../../../shared/registry/index.ts';
import { CommandSummary, LampCommandState, LiveLamp, WsClientFrame } from '../api.ts';
import { ERROR_STATUS } from '../errors.ts';
import * as RESPONSES from '../responses.ts';
import type { Operation } from './operation.ts';

/** Named schemas besides the response envelopes (which are named after their export). */
const SHARED = {
  Telemetry,
  SegmentBatch,
  LampStatus,
  LampEvent,
  LampCommand,
  CommandAck,
  NightProgram,
  Alarm,
  LampPost,
  Vendor,
  LuminaireModel,
  LiveLamp,
  CommandSummary,
  LampCommandState,
  WsClientFrame,
} as const;

const REF = (name: string) => `#/components/schemas/${name}`;

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request; `issues` lists the failing paths',
  401: 'Missing or invalid token',
  403: 'The role may not do this',
  404: 'Not found',
  409: 'Conflict',
  413: 'Request body too large',
  429: 'Rate limited; see Retry-After',
  503: 'Storage unavailable',
};

function stripMeta(s: unknown): Record<string, unknown> {
  const { $schema: _s, $id: _i, ...rest } = s as Record<string, unknown>;
  return rest;
}

const inputSchema = (s: z.ZodType) =>
  stripMeta(z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }));

/** The error statuses an operation can answer with. */
export function errorStatuses(op: Operation): number[] {
  const out = new Set<number>([503]);
  if (op.params || op.query || op.body) out.add(400);
  if (op.access !== 'public') {
    out.add(401);
    out.add(403);
  }
  if (op.path.includes('{')) out.add(404);
  if (op.method !== 'get') out.add(409);
  if (op.body) out.add(413);
  if (op.rateLimited) out.add(429);
  return [...out].sort();
}

export function buildOpenApi(operations: readonly Operation[], version = '0.1.0') {
  // One registry of named output schemas: shared contract types, every response envelope, and an
  // operation's answer under `<Id>Response` when it has no name of its own.
  const registry = z.registry<{ id: string }>();
  const names = new Map<z.ZodType, string>();
  const name = (schema: z.ZodType, id: string) => {
    if (names.has(schema)) return names.get(schema)!;
    names.set(schema, id);
    registry.add(schema, { id });
    return id;
  };
  for (const [id, schema] of Object.entries(SHARED)) name(schema, id);
  for (const [id, value] of Object.entries(RESPONSES))
    if (value instanceof z.ZodType) name(value, id);
  const upper = (s: string) => s[0]!.toUpperCase() + s.slice(1);
  for (const op of operations) {
    name(op.response, `${upper(op.id)}Response`);
    for (const a of op.alsoAnswers ?? []) if (a.response) name(a.response, `${upper(op.id)}Alt`);
  }
  const generated = z.toJSONSchema(registry, {
    io: 'output',
    unrepresentable: 'any',
    target: 'draft-2020-12',
    uri: REF,
  }) as { schemas: Record<string, unknown> };
  const schemas: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(generated.schemas)) schemas[id] = stripMeta(s);
  schemas.Error = {
    type: 'object',
    required: ['ok', 'status', 'code', 'error'],
    additionalProperties: false,
    properties: {
      ok: { const: false },
      status: { type: 'integer' },
      code: { type: 'string', enum: [...Object.keys(ERROR_STATUS), 'internal'] },
      error: { type: 'string' },
      issues: {
        type: 'array',
        items: {
          type: 'object',
          required: ['path', 'message'],
          properties: { path: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
  };

  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const parameters: unknown[] = [];
    const pathShape = (op.params as z.ZodObject | undefined)?.shape ?? {};
    for (const m of op.path.matchAll(/\{(\w+)\}/g)) {
      const s = pathShape[m[1]!] as z.ZodType | undefined;
      parameters.push({
        name: m[1],
        in: 'path',
        required: true,
        schema: s ? inputSchema(s) : { type: 'string' },
      });
    }
    for (const [key, s] of Object.entries((op.query as z.ZodObject | undefined)?.shape ?? {})) {
      const schema = s as z.ZodType;
      parameters.push({
        name: key,
        in: 'query',
        required: !schema.safeParse(undefined).success,
        schema: inputSchema(schema),
      });
    }
    const responses: Record<string, unknown> = {};
    const main = { schema: { $ref: REF(names.get(op.response)!) } };
    responses[String(op.status)] = {
      description: op.summary,
      content: { [op.contentType ?? 'application/json']: main },
    };
    for (const a of op.alsoAnswers ?? []) {
      const key = String(a.status);
      responses[key] ??= { description: a.description, content: {} };
      const entry = responses[key] as { description: string; content: Record<string, unknown> };
      if (entry.description !== a.description) entry.description += `; ${a.description}`;
      entry.content[a.contentType ?? 'application/json'] = a.response
        ? { schema: { $ref: REF(names.get(a.response)!) } }
        : { schema: { type: 'string' } };
    }
    for (const status of errorStatuses(op)) {
      responses[String(status)] = {
        description: ERROR_TEXT[status],
        content: { 'application/json': { schema: { $ref: REF('Error') } } },
      };
    }
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      operationId: op.id,
      summary: op.summary,
      description: op.access === 'public' ? 'Public' : `Requires: ${op.access}`,
      security: op.access === 'public' ? [] : [{ bearer: [] }],
      ...(parameters.length ? { parameters } : {}),
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: inputSchema(op.body) } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'gadelys gateway',
      version,
      description:
        'REST API of the gadelys streetlight lab. Live updates: WebSocket at /ws (frames: WsClientFrame). Roles: viewer, vendor, operator, admin.',
    },
    servers: [{ url: '/' }],
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}

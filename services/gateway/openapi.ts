/**
 * The OpenAPI 3.1 document. Schemas come from the shared zod contract through zod 4's
 * z.toJSONSchema (JSON Schema 2020-12, which OpenAPI 3.1 uses as is); nothing is written twice.
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
} from '../../shared/contract/index.ts';
import { LampPost, LuminaireModel, Vendor } from '../../shared/registry/index.ts';
import {
  AlarmAckRequest,
  BootstrapRequest,
  CommandRequest,
  CommandSummary,
  CreateTokenRequest,
  CreateUserRequest,
  InventoryImportRequest,
  LampCommandState,
  LiveLamp,
  LoginRequest,
  ProgramAssignRequest,
  WsClientFrame,
} from './api.ts';
import { OPERATIONS } from './operations.ts';

const COMPONENTS = {
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
  CommandRequest,
  CommandSummary,
  LampCommandState,
  WsClientFrame,
  LoginRequest,
  BootstrapRequest,
  CreateUserRequest,
  CreateTokenRequest,
  AlarmAckRequest,
  ProgramAssignRequest,
  InventoryImportRequest,
} as const;
export type ComponentName = keyof typeof COMPONENTS;

const jsonSchema = (s: z.ZodType) =>
  z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;

function stripDialect(s: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _, ...rest } = s;
  return rest;
}

const ERRORS = {
  '400': 'Invalid request; `issues` lists the failing paths',
  '401': 'Missing or invalid token',
  '403': 'The role may not do this',
  '404': 'Not found',
  '409': 'Conflict',
  '429': 'Rate limited; see Retry-After',
};

export function buildOpenApi(version = '0.1.0'): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(COMPONENTS))
    schemas[name] = stripDialect(jsonSchema(schema));
  schemas.Error = {
    type: 'object',
    required: ['ok', 'status', 'error'],
    properties: {
      ok: { const: false },
      status: { type: 'integer' },
      error: { type: 'string' },
      issues: {
        type: 'array',
        items: {
          type: 'object',
          properties: { path: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const params: unknown[] = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    for (const [name, schema] of Object.entries(op.query?.shape ?? {})) {
      params.push({
        name,
        in: 'query',
        required: false,
        schema: stripDialect(jsonSchema(schema as z.ZodType)),
      });
    }
    const responses: Record<string, unknown> = {
      '200': {
        description: 'OK',
        content: op.response
          ? { 'application/json': { schema: { $ref: `#/components/schemas/${op.response}` } } }
          : undefined,
      },
    };
    for (const [code, description] of Object.entries(ERRORS)) {
      if (!op.permission && (code === '401' || code === '403')) continue;
      responses[code] = {
        description,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    paths[op.path] ??= {};
    paths[op.path]![op.method] = JSON.parse(
      JSON.stringify({
        summary: op.summary,
        description: op.permission ? `Requires: ${op.permission}` : 'Public',
        security: op.permission ? [{ bearer: [] }] : [],
        parameters: params.length ? params : undefined,
        requestBody: op.body
          ? {
              required: true,
              content: {
                'application/json': { schema: { $ref: `#/components/schemas/${op.body}` } },
              },
            }
          : undefined,
        responses,
      }),
    );
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

export { OPERATIONS };

import { z } from 'zod';

/**
 * JSON Schema (draft-07, the input side: defaults optional) of a contract schema, for the AsyncAPI
 * and OpenAPI documents. Generated, never written by hand, so documents cannot drift from code.
 */
export function toJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-7',
    io: 'input',
  }) as Record<string, unknown>;
  return rest;
}

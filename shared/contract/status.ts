import { z } from 'zod';
import { Id, Text, Timestamp } from './common.ts';

/**
 * Lamp status, published retained. A lamp publishes `online` as its birth message on connect and
 * sets `offline` as its last will, so the broker announces an abrupt disconnect.
 */
export const LampStatus = z.strictObject({
  lampId: Id,
  state: z.enum(['online', 'offline']),
  ts: Timestamp,
  firmware: Text.optional(),
  vendor: Id.optional(),
  model: Id.optional(),
  /** Why the lamp went offline, when it knows (e.g. "shutdown"); absent in a last will. */
  reason: Text.optional(),
});
export type LampStatus = z.infer<typeof LampStatus>;

import type { z } from 'zod';
import { GatewayEnv } from '../gateway/config.ts';
import { LabEnv } from './config.ts';

/** Every service's environment schema: the lab loads them all, and .env.example lists them all. */
export const ENV_SCHEMAS: Record<string, z.ZodObject> = {
  lab: LabEnv,
  gateway: GatewayEnv,
};

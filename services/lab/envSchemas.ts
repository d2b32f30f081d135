import type { z } from 'zod';
import { StoreEnv } from '../../shared/storage/config.ts';
import { SimulatorEnv } from '../../simulator/config.ts';
import { BrokerEnv } from '../broker/config.ts';
import { GatewayEnv } from '../gateway/config.ts';
import { ProcessorEnv } from '../processor/config.ts';
import { LabEnv } from './config.ts';

/** Every service's environment schema: the lab loads them all, and .env.example lists them all. */
export const ENV_SCHEMAS: Record<string, z.ZodObject> = {
  lab: LabEnv,
  broker: BrokerEnv,
  processor: ProcessorEnv,
  store: StoreEnv,
  gateway: GatewayEnv,
  simulator: SimulatorEnv,
};

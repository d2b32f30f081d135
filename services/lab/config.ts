import { z } from 'zod';
import { env, loadConfig } from '../../shared/config.ts';

/** Lab-wide settings of `npm start` (each service reads its own as well). */
export const LabEnv = z.object({
  /**
   * Secret from which development device and service-account passwords are derived. Unset: the
   * lab makes a random one at every start and hands it to its services in-process.
   */
  LAB_SECRET: env.optionalString(),
  LOG_LEVEL: env.logLevel(),
});

export const loadLabConfig = (source?: Record<string, string | undefined>) =>
  loadConfig('lab', LabEnv, source);

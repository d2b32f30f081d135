/** Every REST operation of the gateway: the routes, the OpenAPI document and the role matrix. */
import type { Operation } from '../operation.ts';
import { ADMIN_OPERATIONS } from './admin.ts';
import { AUTH_OPERATIONS } from './auth.ts';
import { COMMAND_OPERATIONS } from './commands.ts';
import { DATA_OPERATIONS } from './data.ts';
import { REGISTRY_OPERATIONS } from './registry.ts';
import { REPLAY_OPERATIONS } from './replay.ts';
import { REPORT_OPERATIONS, SCHEDULE_OPERATIONS } from './reports.ts';
import { TRIAL_OPERATIONS } from './trials.ts';

export const OPERATIONS: readonly Operation[] = [
  ...AUTH_OPERATIONS,
  ...REGISTRY_OPERATIONS,
  ...DATA_OPERATIONS,
  ...REPLAY_OPERATIONS,
  ...COMMAND_OPERATIONS,
  ...REPORT_OPERATIONS,
  ...SCHEDULE_OPERATIONS,
  ...TRIAL_OPERATIONS,
  ...ADMIN_OPERATIONS,
];

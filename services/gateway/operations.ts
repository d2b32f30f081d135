/** Every REST operation: the OpenAPI paths and the role-matrix test are built from this table. */
import type { z } from 'zod';
import type { Permission } from './auth/roles.ts';
import { EnergyQueryParams, HistoryQueryParams, LampListQuery, WindowQuery } from './http/query.ts';
import type { ComponentName } from './openapi.ts';

export interface Op {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  /** undefined: public. */
  permission?: Permission | 'authenticated';
  query?: z.ZodObject;
  body?: ComponentName;
  response?: ComponentName;
}

export const OPERATIONS: readonly Op[] = [
  { method: 'get', path: '/api/health', summary: 'Liveness' },
  {
    method: 'post',
    path: '/api/auth/bootstrap',
    summary: 'Create the first admin with the one-time secret printed at start',
    body: 'BootstrapRequest',
  },
  {
    method: 'post',
    path: '/api/auth/login',
    summary: 'Open a session (rate limited)',
    body: 'LoginRequest',
  },
  {
    method: 'post',
    path: '/api/auth/logout',
    summary: 'Revoke the calling token',
    permission: 'authenticated',
  },
  { method: 'get', path: '/api/auth/me', summary: 'Who am I', permission: 'authenticated' },
  { method: 'get', path: '/api/users', summary: 'List users', permission: 'users.manage' },
  {
    method: 'post',
    path: '/api/users',
    summary: 'Create a user',
    permission: 'users.manage',
    body: 'CreateUserRequest',
  },
  {
    method: 'delete',
    path: '/api/users/{username}',
    summary: 'Delete a user and revoke their tokens',
    permission: 'users.manage',
  },
  {
    method: 'get',
    path: '/api/tokens',
    summary: 'List API tokens (own; admins: all)',
    permission: 'authenticated',
  },
  {
    method: 'post',
    path: '/api/tokens',
    summary: 'Issue an API token; the secret is shown once',
    permission: 'authenticated',
    body: 'CreateTokenRequest',
  },
  {
    method: 'delete',
    path: '/api/tokens/{id}',
    summary: 'Revoke an API token',
    permission: 'authenticated',
  },
  {
    method: 'get',
    path: '/api/lamps',
    summary: 'Registry lamps with filters',
    permission: 'read',
    query: LampListQuery,
    response: 'LampPost',
  },
  {
    method: 'get',
    path: '/api/lamps/{lampId}',
    summary: 'One lamp with its live state',
    permission: 'read',
  },
  {
    method: 'get',
    path: '/api/live',
    summary: 'Latest state per lamp',
    permission: 'read',
    query: LampListQuery,
    response: 'LiveLamp',
  },
  { method: 'get', path: '/api/segments', summary: 'Segments', permission: 'read' },
  {
    method: 'get',
    path: '/api/vendors',
    summary: 'Vendors',
    permission: 'read',
    response: 'Vendor',
  },
  {
    method: 'get',
    path: '/api/models',
    summary: 'Luminaire models',
    permission: 'read',
    response: 'LuminaireModel',
  },
  {
    method: 'get',
    path: '/api/history',
    summary: 'A field over a window, bucketed and aggregated',
    permission: 'read',
    query: HistoryQueryParams,
  },
  {
    method: 'get',
    path: '/api/energy',
    summary: 'Energy per lamp, segment or vendor (night=YYYY-MM-DD: noon to noon UTC)',
    permission: 'read',
    query: EnergyQueryParams,
  },
  {
    method: 'get',
    path: '/api/events',
    summary: 'Lamp events in a window',
    permission: 'read',
    query: WindowQuery,
    response: 'LampEvent',
  },
  {
    method: 'get',
    path: '/api/alarms',
    summary: 'Active alarms',
    permission: 'read',
    response: 'Alarm',
  },
  {
    method: 'get',
    path: '/api/alarms/history',
    summary: 'Alarm history',
    permission: 'read',
    query: WindowQuery,
    response: 'Alarm',
  },
  {
    method: 'post',
    path: '/api/alarms/{alarmId}/ack',
    summary: 'Acknowledge an active alarm',
    permission: 'alarms.ack',
    body: 'AlarmAckRequest',
  },
  {
    method: 'post',
    path: '/api/commands',
    summary: 'Override or release a lamp, segment, vendor or the route (rate limited)',
    permission: 'commands.send',
    body: 'CommandRequest',
    response: 'CommandSummary',
  },
  {
    method: 'get',
    path: '/api/commands',
    summary: 'Commands with status and round-trip time',
    permission: 'read',
    response: 'CommandSummary',
  },
  {
    method: 'get',
    path: '/api/commands/{commandId}',
    summary: 'One command with per-lamp state',
    permission: 'read',
    response: 'LampCommandState',
  },
  {
    method: 'get',
    path: '/api/programs',
    summary: 'Night programs',
    permission: 'read',
    response: 'NightProgram',
  },
  {
    method: 'post',
    path: '/api/programs',
    summary: 'Create a night program',
    permission: 'programs.write',
    body: 'NightProgram',
  },
  {
    method: 'put',
    path: '/api/programs/{programId}',
    summary: 'Edit a program; redelivered to its lamps',
    permission: 'programs.write',
    body: 'NightProgram',
  },
  {
    method: 'delete',
    path: '/api/programs/{programId}',
    summary: 'Delete a program',
    permission: 'programs.write',
  },
  {
    method: 'post',
    path: '/api/programs/{programId}/assign',
    summary: 'Assign to lamps or segments; delivered over MQTT',
    permission: 'programs.write',
    body: 'ProgramAssignRequest',
    response: 'CommandSummary',
  },
  {
    method: 'get',
    path: '/api/reports/vendor/{vendorId}',
    summary: 'Vendor report per luminaire model (format=json|csv)',
    permission: 'read',
  },
  {
    method: 'get',
    path: '/api/audit',
    summary: 'Audit log of commands, programs, users',
    permission: 'audit.read',
  },
  {
    method: 'post',
    path: '/api/registry/inventory',
    summary: 'Import a surveyed inventory (CSV or GeoJSON); validated, applies from the next start',
    permission: 'registry.manage',
    body: 'InventoryImportRequest',
  },
  {
    method: 'get',
    path: '/api/export/fiware',
    summary: 'Registry and latest state as FIWARE Streetlight entities (NGSI-LD)',
    permission: 'export',
    query: LampListQuery,
  },
];

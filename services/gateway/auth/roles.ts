import { z } from 'zod';

/**
 * Roles: viewer (lab engineer), vendor (only their own vendor's lamps), operator
 * (city staff: commands and programs), admin (users, registry). Denied by default: a permission
 * not listed here for a role is refused.
 */
export const ROLES = ['viewer', 'vendor', 'operator', 'admin'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const PERMISSIONS = [
  /** Registry, live state, history, energy, events, alarms, reports (vendors: scoped). */
  'read',
  /** Acknowledge an alarm. */
  'alarms.ack',
  'commands.send',
  'programs.write',
  'audit.read',
  'users.manage',
  /** Replace the lamp inventory (validated; applies from the next start). */
  'registry.manage',
  /** Registry-wide exports for city platforms (every vendor's lamps). */
  'export',
  /** Define trials (vendors: of their own lamps only). */
  'trials.write',
  /** Schedule reports that are made and kept on the server. */
  'reports.schedule',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Record<Role, readonly Permission[]> = {
  viewer: ['read', 'alarms.ack', 'export'],
  vendor: ['read', 'trials.write'],
  operator: [
    'read',
    'alarms.ack',
    'export',
    'commands.send',
    'programs.write',
    'audit.read',
    'trials.write',
    'reports.schedule',
  ],
  admin: [
    'read',
    'alarms.ack',
    'export',
    'commands.send',
    'programs.write',
    'audit.read',
    'users.manage',
    'registry.manage',
    'trials.write',
    'reports.schedule',
  ],
};

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

/** Who is calling: resolved from a session or API token. */
export interface Principal {
  username: string;
  role: Role;
  /** Set for the vendor role: the only vendor whose lamps this principal may see. */
  vendorId?: string;
  /** The id of the token used, so it can be revoked or audited. */
  tokenId: string;
}

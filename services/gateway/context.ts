import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../shared/log.ts';
import type { LampPost, Registry } from '../../shared/registry/index.ts';
import type { LampFilter, Store } from '../../shared/storage/port.ts';
import type { AuditLog } from './audit/AuditLog.ts';
import type { RateLimiter } from './auth/rateLimiter.ts';
import { can, type Permission, type Principal } from './auth/roles.ts';
import type { UserStore } from './auth/UserStore.ts';
import type { CommandTracker } from './commands/CommandTracker.ts';
import type { CommandService } from './commands/commandService.ts';
import { HttpError } from './http/errors.ts';
import type { LiveView } from './live/LiveView.ts';
import type { ProgramStore } from './programs/ProgramStore.ts';

/** Everything the HTTP and WebSocket handlers share. */
export interface GatewayContext {
  registry: Registry;
  log: Logger;
  now: () => number;
  users: UserStore;
  audit: AuditLog;
  live: LiveView;
  tracker: CommandTracker;
  commands: CommandService;
  programs: ProgramStore;
  store?: Store;
  loginLimiter: RateLimiter;
  /** GATEWAY_DATA_DIR: users, audit, programs, an imported inventory. */
  dataDir: string;
}

export interface AuthedRequest extends Request {
  principal?: Principal;
}

/** The bearer token of a request: `Authorization: Bearer <token>`. */
export function bearerOf(header: string | undefined): string | undefined {
  const m = /^Bearer ([A-Za-z0-9_.~+/=-]{10,200})$/.exec(header ?? '');
  return m?.[1];
}

export function principalOf(req: Request): Principal {
  const p = (req as AuthedRequest).principal;
  if (!p) throw new HttpError(401, 'authentication required');
  return p;
}

/** Authenticate every request below it; 401 without a valid token. */
export function authenticate(ctx: GatewayContext): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const token = bearerOf(req.headers.authorization);
    const principal = token ? ctx.users.authenticate(token) : undefined;
    if (!principal) throw new HttpError(401, 'a valid bearer token is required');
    (req as AuthedRequest).principal = principal;
    next();
  };
}

/** Allow only roles holding the permission (denied by default). */
export function requirePermission(permission: Permission): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const p = principalOf(req);
    if (!can(p.role, permission)) throw new HttpError(403, `role ${p.role} may not ${permission}`);
    next();
  };
}

export function vendorOfLamp(registry: Registry, lamp: LampPost): string | undefined {
  return registry.model(lamp.modelId)?.vendorId;
}

/** Narrow a storage filter to what the principal may see; 403 when it asks for another vendor. */
export function scopeFilter(p: Principal, filter: LampFilter, registry: Registry): LampFilter {
  if (p.role !== 'vendor') return filter;
  if (filter.vendorId !== undefined && filter.vendorId !== p.vendorId) {
    throw new HttpError(403, 'vendors see only their own lamps');
  }
  for (const id of filter.lampIds ?? []) assertLampVisible(p, id, registry);
  if (filter.modelId !== undefined && registry.model(filter.modelId)?.vendorId !== p.vendorId) {
    throw new HttpError(403, 'vendors see only their own models');
  }
  return { ...filter, vendorId: p.vendorId! };
}

export function assertLampVisible(p: Principal, lampId: string, registry: Registry): LampPost {
  const lamp = registry.lamp(lampId);
  if (!lamp) throw new HttpError(404, `no lamp ${lampId}`);
  if (p.role === 'vendor' && vendorOfLamp(registry, lamp) !== p.vendorId) {
    throw new HttpError(403, 'vendors see only their own lamps');
  }
  return lamp;
}

export function lampVisible(p: Principal, vendorId: string | undefined): boolean {
  return p.role !== 'vendor' || vendorId === p.vendorId;
}

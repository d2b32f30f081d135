/** Health, login, the first-admin bootstrap, users and API tokens. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import { Id } from '../../../../shared/contract/index.ts';
import {
  BootstrapRequest,
  CreateTokenRequest,
  CreateUserRequest,
  LoginRequest,
} from '../../api.ts';
import { can } from '../../auth/roles.ts';
import { UserStoreError } from '../../auth/UserStore.ts';
import type { GatewayContext } from '../../context.ts';
import { type ErrorCode, GatewayError } from '../../errors.ts';
import {
  HealthResponse,
  MeResponse,
  OkResponse,
  SessionResponse,
  TokenCreatedResponse,
  TokenResponse,
  TokensResponse,
  UserResponse,
  UsersResponse,
} from '../../responses.ts';
import { operation, RawAnswer } from '../operation.ts';

const STORE_CODE: Record<UserStoreError['code'], ErrorCode> = {
  exists: 'conflict',
  not_found: 'not_found',
  bootstrapped: 'conflict',
  bad_secret: 'unauthenticated',
};

function mapStoreError(err: unknown): never {
  if (err instanceof UserStoreError) throw new GatewayError(STORE_CODE[err.code], err.message);
  throw err;
}

async function limitLogin(ctx: GatewayContext, req: Request): Promise<void> {
  const key = req.ip ?? 'unknown';
  if (!(await ctx.loginLimiter.take(key))) {
    throw new GatewayError(
      'rate_limited',
      'too many login attempts',
      undefined,
      await ctx.loginLimiter.retryAfterS(key),
    );
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/** The metrics say how the lab runs and who is connected: a token, or the machine itself. */
function checkMetricsCaller(ctx: GatewayContext, req: Request): void {
  if (ctx.metricsToken !== undefined) {
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!timingSafeEqual(sha256(given), sha256(ctx.metricsToken)))
      throw new GatewayError(
        'unauthenticated',
        'metrics want the GATEWAY_METRICS_TOKEN bearer token',
      );
    return;
  }
  if (!LOOPBACK.test(req.socket.remoteAddress ?? ''))
    throw new GatewayError('forbidden', 'metrics answer loopback only; set GATEWAY_METRICS_TOKEN');
}

const UsernameParam = z.object({ username: z.string().max(64) });
const TokenIdParam = z.object({ id: Id });

export const AUTH_OPERATIONS = [
  operation({
    id: 'openApi',
    method: 'get',
    path: '/openapi.json',
    summary: 'This document: generated from the same table the routes are built from',
    access: 'public',
    response: z.record(z.string(), z.unknown()),
    status: 200,
    handler: ({ ctx }) => ctx.apiDocument,
  }),
  operation({
    id: 'health',
    method: 'get',
    path: '/api/health',
    summary: 'Liveness',
    access: 'public',
    response: HealthResponse,
    status: 200,
    handler: ({ ctx }) => ({
      ok: true,
      service: 'gateway',
      uptimeS: Math.round((ctx.now() - ctx.startedAt) / 1000),
      store: ctx.store?.kind ?? null,
      mqtt: ctx.mqttStats ? { ...ctx.mqttStats } : null,
    }),
  }),
  operation({
    id: 'metrics',
    method: 'get',
    path: '/metrics',
    summary:
      'Prometheus metrics; with GATEWAY_METRICS_TOKEN set the bearer token it names, else loopback callers only',
    access: 'public',
    response: z.string(),
    contentType: 'text/plain',
    status: 200,
    handler: async ({ ctx, req }) => {
      checkMetricsCaller(ctx, req);
      const { registry } = ctx.metrics;
      return new RawAnswer(registry.contentType, await registry.metrics());
    },
  }),
  operation({
    id: 'bootstrap',
    method: 'post',
    path: '/api/auth/bootstrap',
    summary: 'Create the first admin with the one-time secret printed at start (rate limited)',
    access: 'public',
    body: BootstrapRequest,
    response: UserResponse,
    status: 201,
    rateLimited: true,
    handler: async ({ ctx, req, body }) => {
      await limitLogin(ctx, req);
      const user = await ctx.users
        .bootstrap(body.secret, body.username, body.password)
        .catch(mapStoreError);
      await ctx.audit.record({
        actor: user.username,
        action: 'auth.bootstrap',
        subject: user.username,
        outcome: 'ok',
      });
      return { ok: true, user };
    },
  }),
  operation({
    id: 'login',
    method: 'post',
    path: '/api/auth/login',
    summary: 'Open a session (rate limited)',
    access: 'public',
    body: LoginRequest,
    response: SessionResponse,
    status: 200,
    rateLimited: true,
    handler: async ({ ctx, req, body }) => {
      await limitLogin(ctx, req);
      const lockedS = await ctx.lockout.lockedForS(body.username);
      if (lockedS > 0) ctx.metrics.logins.inc({ reason: 'rate_limited' });
      if (lockedS > 0)
        throw new GatewayError(
          'rate_limited',
          'too many wrong passwords for this account; try again later',
          undefined,
          lockedS,
        );
      // Counted as a failure before the check, so that guesses in flight at once count too.
      await ctx.lockout.fail(body.username);
      const session = await ctx.users.login(body.username, body.password);
      if (!session) {
        ctx.metrics.logins.inc({ reason: 'password' });
        throw new GatewayError('unauthenticated', 'wrong username or password');
      }
      await ctx.lockout.succeed(body.username);
      return { ok: true, ...session };
    },
  }),
  operation({
    id: 'logout',
    method: 'post',
    path: '/api/auth/logout',
    summary: 'Revoke the calling token',
    access: 'authenticated',
    response: OkResponse,
    status: 200,
    handler: async ({ ctx, principal }) => {
      await ctx.users.revokeToken(principal.tokenId);
      return { ok: true };
    },
  }),
  operation({
    id: 'me',
    method: 'get',
    path: '/api/auth/me',
    summary: 'Who am I',
    access: 'authenticated',
    response: MeResponse,
    status: 200,
    handler: ({ principal }) => ({ ok: true, principal: { ...principal } }),
  }),
  operation({
    id: 'listUsers',
    method: 'get',
    path: '/api/users',
    summary: 'List users',
    access: 'users.manage',
    response: UsersResponse,
    status: 200,
    handler: ({ ctx }) => {
      const users = ctx.users.users();
      return { ok: true, count: users.length, users };
    },
  }),
  operation({
    id: 'createUser',
    method: 'post',
    path: '/api/users',
    summary: 'Create a user',
    access: 'users.manage',
    body: CreateUserRequest,
    response: UserResponse,
    status: 201,
    handler: async ({ ctx, principal, body }) => {
      if (body.vendorId !== undefined && !ctx.registry.vendor(body.vendorId))
        throw new GatewayError('not_found', `no vendor ${body.vendorId}`);
      const user = await ctx.users.createUser(body).catch(mapStoreError);
      await ctx.audit.record({
        actor: principal.username,
        action: 'user.created',
        subject: user.username,
        outcome: 'ok',
        detail: { role: user.role },
      });
      return { ok: true, user };
    },
  }),
  operation({
    id: 'deleteUser',
    method: 'delete',
    path: '/api/users/{username}',
    summary: 'Delete a user and revoke their tokens',
    access: 'users.manage',
    params: UsernameParam,
    response: OkResponse,
    status: 200,
    handler: async ({ ctx, principal, params }) => {
      const actor = principal.username;
      if (params.username === actor)
        throw new GatewayError('conflict', 'you cannot delete yourself');
      await ctx.users.deleteUser(params.username).catch(mapStoreError);
      await ctx.audit.record({
        actor,
        action: 'user.deleted',
        subject: params.username,
        outcome: 'ok',
      });
      return { ok: true };
    },
  }),
  // Every role manages its own API tokens; admins manage everyone's.
  operation({
    id: 'listTokens',
    method: 'get',
    path: '/api/tokens',
    summary: 'List API tokens (own; admins: all)',
    access: 'authenticated',
    response: TokensResponse,
    status: 200,
    handler: ({ ctx, principal: p }) => {
      const tokens = ctx.users.tokens(can(p.role, 'users.manage') ? undefined : p.username);
      return { ok: true, count: tokens.length, tokens };
    },
  }),
  operation({
    id: 'createToken',
    method: 'post',
    path: '/api/tokens',
    summary: 'Issue an API token; the secret is shown once (rate limited, a cap per user)',
    access: 'authenticated',
    body: CreateTokenRequest,
    response: TokenCreatedResponse,
    status: 201,
    rateLimited: true,
    handler: async ({ ctx, principal: p, body }) => {
      const owner = body.username ?? p.username;
      if (owner !== p.username && !can(p.role, 'users.manage'))
        throw new GatewayError('forbidden', 'only admins issue tokens for others');
      const now = ctx.now();
      const active = ctx.users
        .tokens(owner)
        .filter(
          (t) =>
            t.kind === 'api' &&
            t.revokedAt === undefined &&
            (t.expiresAt === undefined || t.expiresAt > now),
        ).length;
      if (active >= ctx.tokensPerUser)
        throw new GatewayError(
          'conflict',
          `${owner} holds ${active} active API tokens, the most allowed; revoke one first`,
        );
      if (!(await ctx.tokenLimiter.take(p.username)))
        throw new GatewayError(
          'rate_limited',
          'too many tokens issued; try again later',
          undefined,
          await ctx.tokenLimiter.retryAfterS(p.username),
        );
      const { token, record } = await ctx.users
        .createApiToken(owner, body.name, body.expiresAt)
        .catch(mapStoreError);
      await ctx.audit.record({
        actor: p.username,
        action: 'token.created',
        subject: record.id,
        outcome: 'ok',
        detail: { owner },
      });
      return { ok: true, token, record };
    },
  }),
  operation({
    id: 'revokeToken',
    method: 'delete',
    path: '/api/tokens/{id}',
    summary: 'Revoke an API token',
    access: 'authenticated',
    params: TokenIdParam,
    response: TokenResponse,
    status: 200,
    handler: async ({ ctx, principal: p, params }) => {
      const owner = ctx.users.tokenOwner(params.id);
      if (owner === undefined) throw new GatewayError('not_found', `no token ${params.id}`);
      if (owner !== p.username && !can(p.role, 'users.manage'))
        throw new GatewayError('forbidden', 'not your token');
      const record = await ctx.users.revokeToken(params.id).catch(mapStoreError);
      await ctx.audit.record({
        actor: p.username,
        action: 'token.revoked',
        subject: params.id,
        outcome: 'ok',
      });
      return { ok: true, record };
    },
  }),
];

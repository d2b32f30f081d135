import { type Request, Router } from 'express';
import { BootstrapRequest, CreateTokenRequest, CreateUserRequest, LoginRequest } from '../api.ts';
import { can } from '../auth/roles.ts';
import { UserStoreError } from '../auth/UserStore.ts';
import { authenticate, type GatewayContext, principalOf, requirePermission } from '../context.ts';
import { HttpError, parseOr400 } from '../http/errors.ts';

const STORE_STATUS = { exists: 409, not_found: 404, bootstrapped: 409, bad_secret: 401 } as const;

function mapStoreError(err: unknown): never {
  if (err instanceof UserStoreError) throw new HttpError(STORE_STATUS[err.code], err.message);
  throw err;
}

function limitLogin(ctx: GatewayContext, req: Request): void {
  const key = req.ip ?? 'unknown';
  if (!ctx.loginLimiter.take(key)) {
    throw new HttpError(
      429,
      'too many login attempts',
      undefined,
      ctx.loginLimiter.retryAfterS(key),
    );
  }
}

/** Login, the first-admin bootstrap, users and API tokens. */
export function authRoutes(ctx: GatewayContext): Router {
  const r = Router();

  r.post('/auth/bootstrap', async (req, res) => {
    limitLogin(ctx, req);
    const body = parseOr400(BootstrapRequest, req.body, 'bootstrap request');
    const user = await ctx.users
      .bootstrap(body.secret, body.username, body.password)
      .catch(mapStoreError);
    await ctx.audit.record({
      actor: user.username,
      action: 'auth.bootstrap',
      subject: user.username,
      outcome: 'ok',
    });
    res.status(201).json({ ok: true, user });
  });

  r.post('/auth/login', async (req, res) => {
    limitLogin(ctx, req);
    const body = parseOr400(LoginRequest, req.body, 'login');
    const session = await ctx.users.login(body.username, body.password);
    if (!session) throw new HttpError(401, 'wrong username or password');
    res.json({ ok: true, ...session });
  });

  const authed = Router();
  authed.use(authenticate(ctx));

  authed.get('/auth/me', (req, res) => {
    res.json({ ok: true, principal: principalOf(req) });
  });

  authed.post('/auth/logout', async (req, res) => {
    await ctx.users.revokeToken(principalOf(req).tokenId);
    res.json({ ok: true });
  });

  authed.get('/users', requirePermission('users.manage'), (_req, res) => {
    res.json({ ok: true, users: ctx.users.users() });
  });

  authed.post('/users', requirePermission('users.manage'), async (req, res) => {
    const body = parseOr400(CreateUserRequest, req.body, 'user');
    if (body.vendorId !== undefined && !ctx.registry.vendor(body.vendorId)) {
      throw new HttpError(404, `no vendor ${body.vendorId}`);
    }
    const user = await ctx.users.createUser(body).catch(mapStoreError);
    const actor = principalOf(req).username;
    await ctx.audit.record({
      actor,
      action: 'user.created',
      subject: user.username,
      outcome: 'ok',
      detail: { role: user.role },
    });
    res.status(201).json({ ok: true, user });
  });

  authed.delete('/users/:username', requirePermission('users.manage'), async (req, res) => {
    const username = String(req.params.username);
    const actor = principalOf(req).username;
    if (username === actor) throw new HttpError(409, 'you cannot delete yourself');
    await ctx.users.deleteUser(username).catch(mapStoreError);
    await ctx.audit.record({ actor, action: 'user.deleted', subject: username, outcome: 'ok' });
    res.json({ ok: true });
  });

  // Every role may manage its own API tokens; admins may manage everyone's.
  authed.get('/tokens', (req, res) => {
    const p = principalOf(req);
    res.json({
      ok: true,
      tokens: ctx.users.tokens(can(p.role, 'users.manage') ? undefined : p.username),
    });
  });

  authed.post('/tokens', async (req, res) => {
    const p = principalOf(req);
    const body = parseOr400(CreateTokenRequest, req.body, 'token request');
    const owner = body.username ?? p.username;
    if (owner !== p.username && !can(p.role, 'users.manage'))
      throw new HttpError(403, 'only admins issue tokens for others');
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
    res.status(201).json({ ok: true, token, record });
  });

  authed.delete('/tokens/:id', async (req, res) => {
    const p = principalOf(req);
    const id = String(req.params.id);
    const owner = ctx.users.tokenOwner(id);
    if (owner === undefined) throw new HttpError(404, `no token ${id}`);
    if (owner !== p.username && !can(p.role, 'users.manage'))
      throw new HttpError(403, 'not your token');
    const record = await ctx.users.revokeToken(id).catch(mapStoreError);
    await ctx.audit.record({
      actor: p.username,
      action: 'token.revoked',
      subject: id,
      outcome: 'ok',
    });
    res.json({ ok: true, record });
  });

  r.use(authed);
  return r;
}

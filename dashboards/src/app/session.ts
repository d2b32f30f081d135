/**
 * Who is signed in. The token lives in sessionStorage (per tab, gone when the tab closes); the
 * principal comes from `/api/auth/me`, the permissions from the WebSocket's hello frame.
 */
import type { Permission, Role } from '../../../services/gateway/auth/roles.ts';
import type { Api } from './api.ts';

const TOKEN_KEY = 'gadelys.token';

export interface Session {
  token: string;
  username: string;
  role: Role;
  vendorId?: string;
  /** Empty until the gateway says what this principal may do. */
  permissions: readonly Permission[];
}

export function storedToken(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function storeToken(token: string): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Exchange a name and password for a session token. */
export async function signIn(api: Api, username: string, password: string): Promise<string> {
  const r = await api.post<{ token: string }>('/api/auth/login', { username, password });
  return r.token;
}

/** The principal behind a token (throws ApiError 401 when it is dead). */
export async function whoAmI(api: Api, token: string): Promise<Session> {
  const r = await api.get<{ principal: { username: string; role: Role; vendorId?: string } }>(
    '/api/auth/me',
  );
  const s: Session = {
    token,
    username: r.principal.username,
    role: r.principal.role,
    permissions: [],
  };
  if (r.principal.vendorId !== undefined) s.vendorId = r.principal.vendorId;
  return s;
}

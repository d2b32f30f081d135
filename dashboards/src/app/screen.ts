/**
 * What a screen is. Each screen is one module under `screens/` exporting a default
 * `ScreenFactory`; `screens/index.ts` registers it with a route pattern, a nav label and the
 * permission it needs. Screens get everything through `ScreenContext` and clean up by listening
 * to `ctx.signal` (aborted when the screen is left).
 */
import type { Permission } from '../../../services/gateway/auth/roles.ts';
import type { LiveState } from '../live/liveState.ts';
import type { Api } from './api.ts';
import type { Route } from './router.ts';
import type { Session } from './session.ts';
import type { Signal } from './store.ts';

export interface App {
  api: Api;
  session: Signal<Session | undefined>;
  /** Live lamps and alarms for everything the principal may see (started after sign-in). */
  live: LiveState;
  navigate(hash: string, opts?: { replace?: boolean }): void;
  can(permission: Permission): boolean;
  /** Said by screen readers (a polite live region), e.g. "alarm acknowledged". */
  announce(text: string): void;
  /** Sign in with a token just obtained (sign-in and first-run screens). */
  startSession(token: string): Promise<void>;
}

export interface ScreenContext {
  app: App;
  route: Route;
  /** Aborted when the screen is left: pass it to fetch, listeners and subscriptions. */
  signal: AbortSignal;
}

export interface Screen {
  /** Put in the page's main region. */
  element: HTMLElement;
  /** The document title's first part. */
  title: string;
  /** Same pattern, new params or query (e.g. `?range=30d`): update in place instead of remounting. */
  update?(route: Route): void;
}

export type ScreenFactory = (ctx: ScreenContext) => Screen | Promise<Screen>;

export interface ScreenDef {
  /** Route pattern without `#/`, e.g. `lamp/:id`; '' is the home screen. */
  pattern: string;
  /** In the navigation bar when set. */
  nav?: string;
  /** Reachable without signing in (sign-in, first run). */
  public?: boolean;
  /** Hidden from the nav and refused unless the principal has it. */
  permission?: Permission;
  /** Loaded on first visit, so each screen is its own chunk. */
  load: () => Promise<{ default: ScreenFactory }>;
}

/**
 * The page around every screen: header with the role-aware navigation, the connection state and
 * sign-out, the main region a screen is mounted in, and a polite live region for announcements.
 * Routing: `hashchange` -> match a registered pattern -> load the screen's module -> mount it.
 */
import type { Permission } from '../../../services/gateway/auth/roles.ts';
import { createLiveState } from '../live/liveState.ts';
import { createApi } from './api.ts';
import { clear, el, setText } from './dom.ts';
import { matchRoute, type Route } from './router.ts';
import type { App, Screen, ScreenDef } from './screen.ts';
import { type Session, storedToken, storeToken, whoAmI } from './session.ts';
import { Signal } from './store.ts';

const SIGN_IN = 'sign-in';
const CONNECTION_TEXT = { idle: '', connecting: 'connecting…', live: 'live', offline: 'offline' };

export interface Shell {
  app: App;
  /** Resolves once the first screen is shown. */
  ready: Promise<void>;
}

export function startShell(root: HTMLElement, screens: readonly ScreenDef[]): Shell {
  const session = new Signal<Session | undefined>(undefined);
  let token = storedToken();
  let helloPermissions: Session['permissions'] | undefined;
  const api = createApi(
    () => token,
    () => endSession('Your session has ended: sign in again.'),
  );
  const live = createLiveState({
    api,
    token: () => token,
    onSessionEnded: () => endSession('Your session has ended: sign in again.'),
    onHello: ({ permissions }) => {
      // the socket may say hello before /api/auth/me answers: kept for the session to come
      helloPermissions = permissions;
      const s = session.value;
      if (s) session.set({ ...s, permissions });
    },
  });

  const announcer = el('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  const nav = el('ul', { class: 'nav-links' });
  const conn = el('span', { class: 'conn', 'data-state': 'idle' });
  const who = el('span', { class: 'who' });
  const signOut = el('button', { type: 'button', class: 'ghost', hidden: true }, 'Sign out');
  const main = el('main', { id: 'main', tabindex: '-1' });
  const notice = el('p', { class: 'notice', role: 'alert', hidden: true });
  const header = el(
    'header',
    { class: 'top' },
    el(
      'a',
      { class: 'brand', href: '#/' },
      el('span', { class: 'brand-mark', 'aria-hidden': 'true' }),
      'gadelys',
      el('small', {}, 'DOLL Living Lab'),
    ),
    el('nav', { 'aria-label': 'Screens' }, nav),
    el('div', { class: 'top-right' }, conn, who, signOut),
  );
  clear(root);
  root.append(header, notice, main, announcer);
  const skip = document.querySelector<HTMLAnchorElement>('a.skip');
  skip?.addEventListener('click', (e) => {
    e.preventDefault();
    main.focus();
  });

  const can = (p: Permission) => session.value?.permissions.includes(p) ?? false;

  function renderNav(route: Route | undefined): void {
    clear(nav);
    const s = session.value;
    if (!s) return;
    for (const def of screens) {
      if (def.nav === undefined || def.public) continue;
      if (def.permission !== undefined && !can(def.permission)) continue;
      const current = route?.pattern === def.pattern;
      nav.append(
        el(
          'li',
          {},
          el(
            'a',
            { href: `#/${def.pattern}`, 'aria-current': current ? 'page' : undefined },
            def.nav,
          ),
        ),
      );
    }
  }

  function renderUser(): void {
    const s = session.value;
    signOut.hidden = !s;
    setText(who, s ? `${s.username} · ${s.role}${s.vendorId ? ` (${s.vendorId})` : ''}` : '');
  }

  live.connection.subscribe((c) => {
    conn.dataset.state = c;
    setText(conn, CONNECTION_TEXT[c]);
  });

  let mounted: { def: ScreenDef; screen: Screen; abort: AbortController } | undefined;
  let currentRoute: Route | undefined;
  let generation = 0;
  /** The address a refusal notice was shown for: it goes once the user moves on from there. */
  let noticeAt: string | undefined;

  function showNotice(text: string): void {
    notice.hidden = text === '';
    setText(notice, text);
  }

  async function show(): Promise<void> {
    const gen = ++generation;
    const hash = location.hash || '#/';
    const route = matchRoute(
      hash,
      screens.map((s) => s.pattern),
    );
    if (hash !== '#/' && hash !== '#' && !hash.startsWith('#/')) return; // an in-page anchor
    const def = route ? screens.find((s) => s.pattern === route.pattern) : undefined;
    if (!route || !def) {
      location.replace('#/');
      return;
    }
    if (!def.public && !session.value) {
      const qs = hash === '#/' ? '' : new URLSearchParams({ back: hash }).toString();
      location.replace(`#/${SIGN_IN}${qs ? `?${qs}` : ''}`);
      return;
    }
    if (def.permission !== undefined && session.value?.permissions.length && !can(def.permission)) {
      showNotice('That screen needs a role you do not have.');
      noticeAt = '#/';
      location.replace('#/');
      return;
    }
    if (noticeAt !== undefined && hash !== noticeAt) {
      showNotice('');
      noticeAt = undefined;
    }
    currentRoute = route;
    renderNav(route);
    if (mounted && mounted.def === def && mounted.screen.update) {
      mounted.screen.update(route);
      return;
    }
    mounted?.abort.abort();
    mounted = undefined;
    const abort = new AbortController();
    const module = await def.load();
    if (gen !== generation) return abort.abort();
    const screen = await module.default({ app, route, signal: abort.signal });
    if (gen !== generation) return abort.abort();
    mounted = { def, screen, abort };
    clear(main);
    main.append(screen.element);
    document.title = `${screen.title} · gadelys`;
  }

  function endSession(message: string): void {
    live.stop();
    token = '';
    storeToken('');
    const was = session.value !== undefined;
    session.set(undefined);
    if (was) showNotice(message);
    void show();
  }

  async function startSession(newToken: string): Promise<void> {
    token = newToken;
    storeToken(newToken);
    // The registry is asked for beside /api/auth/me, not after it: the map waits for it.
    helloPermissions = undefined;
    const registry = live.start();
    try {
      const who = await whoAmI(api, newToken);
      session.set(helloPermissions ? { ...who, permissions: helloPermissions } : who);
    } catch (err) {
      live.stop();
      await registry.catch(() => undefined);
      throw err;
    }
    showNotice('');
    await registry;
  }

  signOut.addEventListener('click', () => {
    void api.post('/api/auth/logout').catch(() => undefined);
    live.stop();
    token = '';
    storeToken('');
    session.set(undefined);
    location.hash = '#/sign-in';
  });

  session.subscribe(() => {
    renderUser();
    renderNav(currentRoute);
  });

  const app: App = {
    api,
    session,
    live,
    navigate(hash, opts) {
      if (opts?.replace) location.replace(hash);
      else location.hash = hash;
    },
    can,
    announce(text) {
      setText(announcer, '');
      // a change the next frame is what screen readers pick up
      requestAnimationFrame(() => setText(announcer, text));
    },
    startSession,
  };

  window.addEventListener('hashchange', () => void show());
  // The route overview is what a sign-in opens: fetch its chunks while the form is filled in,
  // not after the login answers (measured at 10,000 lamps: four chunks one after another, up
  // to 2.7 s from a gateway busy with ingest).
  if (!token)
    void screens
      .find((s) => s.pattern === '')
      ?.load()
      .catch(() => undefined);
  const ready = (async () => {
    if (token) {
      try {
        await startSession(token);
      } catch {
        token = '';
        storeToken('');
        session.set(undefined);
      }
    }
    await show();
  })();
  return { app, ready };
}

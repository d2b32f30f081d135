/**
 * Permissions come with the WebSocket's hello, which may arrive after a deep-linked screen
 * starts: a screen that shows controls by permission waits for them (briefly) first.
 */
import type { App } from '../app/screen.ts';

const WAIT_MS = 5_000;

export function permissionsKnown(app: App, signal: AbortSignal): Promise<void> {
  if ((app.session.value?.permissions.length ?? 0) > 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, WAIT_MS);
    const off = app.session.subscribe((s) => {
      if ((s?.permissions.length ?? 0) > 0) done();
    }, signal);
    signal.addEventListener('abort', done, { once: true });
  });
}

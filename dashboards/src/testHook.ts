/**
 * `window.__gadelys`: read-only views for browser tests and the benchmark (how many lamps the
 * map drew, where a lamp is on screen). Costs nothing until called.
 */
import type { App } from './app/screen.ts';

export interface MapHook {
  /** Lamps drawn in the last frame. */
  count(): number;
  /** A lamp's position in CSS pixels relative to the canvas, if drawn. */
  pointOf(lampId: string): { x: number; y: number } | undefined;
  /** Frames drawn so far. */
  frames(): number;
  /** How long the last frame's drawing took, ms. */
  drawMs?(): number;
}

export interface TestHook {
  app: App;
  map?: MapHook;
}

declare global {
  interface Window {
    __gadelys?: TestHook;
  }
}

export function installTestHook(app: App): void {
  window.__gadelys = { app };
}

export function registerMapHook(hook: MapHook | undefined): void {
  if (!window.__gadelys) return;
  if (hook) window.__gadelys.map = hook;
  else delete window.__gadelys.map;
}

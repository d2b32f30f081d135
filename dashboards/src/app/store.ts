/** A value with listeners: the app's state store is a handful of these, no framework. */
export class Signal<T> {
  private readonly listeners = new Set<(value: T) => void>();
  constructor(private current: T) {}

  get value(): T {
    return this.current;
  }

  set(value: T): void {
    if (Object.is(value, this.current)) return;
    this.current = value;
    for (const l of [...this.listeners]) l(value);
  }

  /** Listen until `signal` aborts (screens pass their own, so leaving a screen unsubscribes). */
  subscribe(listener: (value: T) => void, signal?: AbortSignal): () => void {
    this.listeners.add(listener);
    const off = () => this.listeners.delete(listener);
    signal?.addEventListener('abort', off, { once: true });
    return off;
  }
}

/**
 * Runs `draw` at most once per animation frame however often `request` is called: live frames
 * arrive many times a second, the screen is painted once.
 */
export function frameScheduler(draw: () => void): { request(): void; cancel(): void } {
  let id = 0;
  return {
    request() {
      if (id !== 0) return;
      id = requestAnimationFrame(() => {
        id = 0;
        draw();
      });
    },
    cancel() {
      if (id !== 0) cancelAnimationFrame(id);
      id = 0;
    },
  };
}

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
 * arrive many times a second, the screen is painted once. With `minIntervalMs`, also at most
 * once per that interval (live values that change once a second need no 60 paints a second).
 */
export function frameScheduler(
  draw: () => void,
  minIntervalMs = 0,
): { request(): void; cancel(): void } {
  let id = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = Number.NEGATIVE_INFINITY;
  const frame = () => {
    id = requestAnimationFrame((t) => {
      id = 0;
      last = t;
      draw();
    });
  };
  return {
    request() {
      if (id !== 0 || timer !== undefined) return;
      const wait = last + minIntervalMs - performance.now();
      if (wait <= 0) return frame();
      timer = setTimeout(() => {
        timer = undefined;
        frame();
      }, wait);
    },
    cancel() {
      if (id !== 0) cancelAnimationFrame(id);
      if (timer !== undefined) clearTimeout(timer);
      id = 0;
      timer = undefined;
    },
  };
}

/**
 * Fill a region from a request: "Loading…" while it runs, the result when it answers, the
 * gateway's message (with failing paths) when it refuses. A request made stale by a newer one
 * into the same region, or by leaving the screen, is dropped.
 */
import { ApiError } from '../app/api.ts';
import { el } from '../app/dom.ts';

const latest = new WeakMap<HTMLElement, number>();
let counter = 0;

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.describe();
  return err instanceof Error ? err.message : String(err);
}

export async function fill(
  region: HTMLElement,
  work: () => Promise<Node | Node[]>,
  signal?: AbortSignal,
): Promise<void> {
  const mine = ++counter;
  latest.set(region, mine);
  region.setAttribute('aria-busy', 'true');
  region.replaceChildren(el('p', { class: 'hint' }, 'Loading…'));
  try {
    const out = await work();
    if (latest.get(region) !== mine || signal?.aborted) return;
    region.replaceChildren(...(Array.isArray(out) ? out : [out]));
  } catch (err) {
    if (latest.get(region) !== mine || signal?.aborted) return;
    region.replaceChildren(el('p', { class: 'error', role: 'alert' }, errorText(err)));
  } finally {
    if (latest.get(region) === mine) region.removeAttribute('aria-busy');
  }
}

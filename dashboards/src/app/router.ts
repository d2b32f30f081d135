/**
 * Hash routes: `#/lamp/DOLL-0007?range=7d`, `#/replay?t=...`. Pure parsing and matching here;
 * the shell listens to `hashchange` and mounts the screen the route names. Hashes that do not
 * start with `#/` are in-page anchors and leave the route alone.
 */
export interface Route {
  /** The registered pattern that matched, e.g. `lamp/:id`. */
  pattern: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The hash as given, for `return to` after sign-in. */
  hash: string;
}

export function parseHash(hash: string): { path: string[]; query: URLSearchParams } | undefined {
  if (!hash.startsWith('#/') && hash !== '' && hash !== '#') return undefined;
  const body = hash.replace(/^#\/?/, '');
  const q = body.indexOf('?');
  const pathPart = q < 0 ? body : body.slice(0, q);
  const path = pathPart
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { path, query: new URLSearchParams(q < 0 ? '' : body.slice(q + 1)) };
}

/** Match `path` against patterns like `lamp/:id`; the first that fits wins. */
export function matchRoute(hash: string, patterns: readonly string[]): Route | undefined {
  const parsed = parseHash(hash);
  if (!parsed) return undefined;
  for (const pattern of patterns) {
    const parts = pattern.split('/').filter((s) => s !== '');
    if (parts.length !== parsed.path.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const want = parts[i]!;
      const got = parsed.path[i]!;
      if (want.startsWith(':')) params[want.slice(1)] = got;
      else if (want !== got) {
        ok = false;
        break;
      }
    }
    if (ok) return { pattern, params, query: parsed.query, hash };
  }
  return undefined;
}

/** Build a hash: `routeHash('lamp', 'DOLL-0007', { range: '7d' })` is `#/lamp/DOLL-0007?range=7d`. */
export function routeHash(...parts: (string | Record<string, string | undefined>)[]): string {
  const query = new URLSearchParams();
  const path: string[] = [];
  for (const p of parts) {
    if (typeof p === 'string') path.push(encodeURIComponent(p));
    else for (const [k, v] of Object.entries(p)) if (v !== undefined) query.set(k, v);
  }
  const qs = query.toString();
  return `#/${path.join('/')}${qs ? `?${qs}` : ''}`;
}

/**
 * REST client: the bearer token on every call, JSON in and out, and errors that keep the
 * gateway's status and failing paths so forms can show them next to the field.
 */
export interface Issue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super(message);
  }

  /** One line for a person: the message, then each failing path. */
  describe(): string {
    if (this.issues.length === 0) return this.message;
    return `${this.message}: ${this.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
  }
}

export interface Api {
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  post<T>(path: string, body?: unknown, signal?: AbortSignal): Promise<T>;
  put<T>(path: string, body?: unknown, signal?: AbortSignal): Promise<T>;
  del<T>(path: string, signal?: AbortSignal): Promise<T>;
  /** A binary answer (the registry's columns); errors are JSON like any other. */
  bytes(path: string, signal?: AbortSignal): Promise<ArrayBuffer>;
}

/** `onUnauthorized` runs when a call with a token answers 401: the session has ended. */
export function createApi(token: () => string, onUnauthorized: () => void): Api {
  async function call<T>(
    method: string,
    path: string,
    body: unknown,
    signal?: AbortSignal,
    raw = false,
  ): Promise<T> {
    const headers: Record<string, string> = {};
    const t = token();
    if (t) headers.authorization = `Bearer ${t}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (signal) init.signal = signal;
    const res = await fetch(path, init);
    if (raw && res.ok) return (await res.arrayBuffer()) as T;
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new ApiError(res.status, `HTTP ${res.status}: not JSON`);
    }
    if (!res.ok) {
      const e = json as { error?: string; issues?: Issue[] };
      if (res.status === 401 && t) onUnauthorized();
      throw new ApiError(res.status, e.error ?? `HTTP ${res.status}`, e.issues ?? []);
    }
    return json as T;
  }
  return {
    get: (path, signal) => call('GET', path, undefined, signal),
    post: (path, body, signal) => call('POST', path, body ?? {}, signal),
    put: (path, body, signal) => call('PUT', path, body, signal),
    del: (path, signal) => call('DELETE', path, undefined, signal),
    bytes: (path, signal) => call<ArrayBuffer>('GET', path, undefined, signal, true),
  };
}

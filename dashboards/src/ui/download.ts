/**
 * Downloads that need the bearer token (a plain link cannot carry it): fetch, then hand the
 * bytes to the browser as a file through an object URL.
 */
import { ApiError } from '../app/api.ts';
import { storedToken } from '../app/session.ts';

export async function download(path: string, fallbackName: string): Promise<string> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${storedToken()}` } });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    throw new ApiError(res.status, body.error ?? `HTTP ${res.status}`);
  }
  const name =
    /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // the click has started the download; the URL is no longer needed after this task
  setTimeout(() => URL.revokeObjectURL(url), 0);
  return name;
}

/**
 * InfluxDB 1.x before 1.8 has no `/api/v2/write`. Rather than a second writer, wrap the client's
 * transport so the stock WriteApi's one write path goes to `/write?db=` (measured here: the
 * stock WriteApi then writes to 1.6.7 at several hundred thousand points/s).
 */
import type { Transport } from '@influxdata/influxdb-client';

export interface V1Target {
  database: string;
  retentionPolicy?: string;
  /** 1.x credentials, sent as HTTP basic auth. */
  username?: string;
  password?: string;
}

/** Rewrite `/api/v2/write?org=&bucket=B&precision=P` to `/write?db=<database>&precision=P`. */
export function v1WritePath(path: string, target: V1Target): string {
  if (!path.startsWith('/api/v2/write')) return path;
  const query = new URLSearchParams(path.slice(path.indexOf('?') + 1));
  const v1 = new URLSearchParams({
    db: target.database,
    precision: query.get('precision') ?? 'ms',
  });
  if (target.retentionPolicy) v1.set('rp', target.retentionPolicy);
  const consistency = query.get('consistency');
  if (consistency) v1.set('consistency', consistency);
  return `/write?${v1}`;
}

export function v1Transport(inner: Transport, target: V1Target): Transport {
  const auth =
    target.username !== undefined
      ? `Basic ${Buffer.from(`${target.username}:${target.password ?? ''}`).toString('base64')}`
      : undefined;
  return {
    send(path, body, options, callbacks) {
      const headers = auth ? { ...options.headers, authorization: auth } : options.headers;
      inner.send(v1WritePath(path, target), body, { ...options, headers }, callbacks);
    },
    request: (path, body, options, started) => inner.request(path, body, options, started),
    iterate: (path, body, options) => inner.iterate(path, body, options),
    get chunkCombiner() {
      return inner.chunkCombiner;
    },
  };
}

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

/**
 * Rewrite `/api/v2/write?org=&bucket=B&precision=P` to `/write?db=<database>&precision=P`. A
 * bucket `db/rp` (1.8's compatibility form, which the layout writes to) names the retention
 * policy; a bucket without one writes to `target.retentionPolicy` or the database's default.
 */
export function v1WritePath(path: string, target: V1Target): string {
  if (!path.startsWith('/api/v2/write')) return path;
  const query = new URLSearchParams(path.slice(path.indexOf('?') + 1));
  const bucket = query.get('bucket') ?? '';
  const slash = bucket.indexOf('/');
  const v1 = new URLSearchParams({
    db: slash > 0 ? bucket.slice(0, slash) : target.database,
    precision: query.get('precision') ?? 'ms',
  });
  const rp = slash > 0 ? bucket.slice(slash + 1) : target.retentionPolicy;
  if (rp) v1.set('rp', rp);
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

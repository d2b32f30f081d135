/**
 * What Grafana's InfluxDB data source does to a raw InfluxQL query before sending it, so that
 * the tests send what Grafana would: `$timeFilter` becomes an epoch-ms time range, `$__interval`
 * the panel's interval (never finer than its min interval), `$__from`/`$__to` the range in epoch
 * ms, and template variables are formatted the way the InfluxDB data source
 * formats them (public/app/plugins/datasource/influxdb/datasource.ts, interpolateQueryExpr):
 * a variable that is neither multi-value nor has "All" is inserted as it is; otherwise each value
 * is regex-escaped and several are joined as `(a|b)`, for use in `=~ /^$var$/`.
 */

export interface VariableValue {
  values: readonly string[];
  multi: boolean;
  includeAll: boolean;
}

/** @grafana/data escapeRegex. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

function format(v: VariableValue): string {
  if (!v.multi && !v.includeAll) return v.values[0] ?? '';
  const escaped = v.values.map(escapeRegex);
  return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
}

export function interpolateInflux(
  query: string,
  opts: {
    from: number;
    to: number;
    interval: string;
    intervalMs: number;
    variables: Readonly<Record<string, VariableValue>>;
  },
): string {
  return query
    .replaceAll('$timeFilter', `time >= ${opts.from}ms and time <= ${opts.to}ms`)
    .replace(/\$\{__from\}|\$__from\b/g, String(opts.from))
    .replace(/\$\{__to\}|\$__to\b/g, String(opts.to))
    .replaceAll('$__interval_ms', String(opts.intervalMs))
    .replaceAll('$__interval', opts.interval)
    .replace(/\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole, a, b, c) => {
      const name = (a ?? b ?? c) as string;
      const v = opts.variables[name];
      if (name.startsWith('__') || name.startsWith('tag_')) return whole;
      if (!v) throw new Error(`query uses an undefined variable $${name}: ${query}`);
      return format(v);
    });
}

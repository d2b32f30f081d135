/**
 * The audit trail of a cluster: one Redis stream that every gateway appends each entry to (after
 * its own file, which stays the durable record, one per gateway, every entry naming its node),
 * capped at about the entries a gateway keeps in memory. GET /api/audit on any gateway reads the
 * stream since its last look, so it shows the entries of all.
 */
import type { AuditEntry, SharedAudit } from '../audit/AuditLog.ts';
import type { GatewayRedis } from './redis.ts';

export function sharedAudit(r: GatewayRedis, maxEntries: number): SharedAudit {
  const key = r.key('audit');
  return {
    nodeId: r.nodeId,
    async append(entry) {
      await r.redis.xadd(key, 'MAXLEN', '~', maxEntries, '*', 'e', JSON.stringify(entry));
    },
    async since(lastId, max) {
      const rows =
        lastId === undefined
          ? (await r.redis.xrevrange(key, '+', '-', 'COUNT', max)).reverse()
          : await r.redis.xrange(key, `(${lastId}`, '+', 'COUNT', max);
      const entries: AuditEntry[] = [];
      for (const [, fields] of rows) {
        const i = fields.indexOf('e');
        const text = i >= 0 ? fields[i + 1] : undefined;
        if (text !== undefined) entries.push(JSON.parse(text) as AuditEntry);
      }
      const out: { entries: AuditEntry[]; lastId?: string } = { entries };
      const last = rows.at(-1)?.[0] ?? lastId;
      if (last !== undefined) out.lastId = last;
      return out;
    },
  };
}

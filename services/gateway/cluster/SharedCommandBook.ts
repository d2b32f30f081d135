/**
 * Commands tracked in Redis for every gateway of a cluster: the same rules as CommandTracker
 * (one deadline per command, resends with the same commandId to the lamps still pending, a late
 * ack still counts), with the state where every gateway reads it.
 *
 * - `cmd:<id>` (hash): meta (command and target, JSON), first send, attempt, lamp count, counts
 *   per state, completedAt; `cmd:<id>:l` (hash): each lamp's state; `cmd:<id>:r` (sorted set):
 *   round trips of the lamps that acked, for p50/p95/max without reading every lamp.
 * - `cmds` (sorted set by first send): the listing; `open` (sorted set by deadline): what is due.
 * - Every gateway receives every ack (each subscribes to all acks) and applies it with one Lua
 *   script: the first to apply it changes the state, the others find it done. So whichever
 *   gateway a lamp's ack reaches, and whichever is down, the count is right and only one gateway
 *   reports the change (on the `commands` channel, which every gateway forwards to its WebSocket
 *   clients) and the completion (audit `command.completed`, metrics).
 * - Deadlines: every gateway's tick claims due commands with one Lua script, so exactly one
 *   resends or times out each; a command whose gateway was killed is finished by another.
 * Completed commands expire from Redis after KEEP_MS.
 */
import type { CommandAck, LampCommand } from '../../../shared/contract/index.ts';
import type { Logger } from '../../../shared/log.ts';
import type { CommandSummary, CommandTarget, LampCommandState } from '../api.ts';
import type { CommandBook } from '../commands/CommandBook.ts';
import { statusOf } from '../commands/CommandTracker.ts';
import { type GatewayRedis, KEY_PREFIX } from './redis.ts';

/** How long a completed command stays readable in Redis. */
export const KEEP_MS = 24 * 3_600_000;
/** Due commands one tick claims at most; the rest wait for the next tick. */
const CLAIM_PER_TICK = 20;
/** Commands a listing looks at at most (newest first), as the single gateway keeps ~1000. */
const LIST_SCAN = 2_000;

// Returns {pending, acked, rejected, timedOut, completedAt|-1, p50|-1, p95|-1, max|-1}.
const SUMMARY_FN = `
local function summary(c, r)
  local f = redis.call('HMGET', c, 'pending', 'acked', 'rejected', 'timedOut', 'completedAt')
  local n = redis.call('ZCARD', r)
  local function at(p)
    if n == 0 then return -1 end
    local i = math.min(n - 1, math.max(0, math.ceil(p * n / 100) - 1))
    return tonumber(redis.call('ZRANGE', r, i, i, 'WITHSCORES')[2])
  end
  local mx = -1
  if n > 0 then mx = tonumber(redis.call('ZRANGE', r, -1, -1, 'WITHSCORES')[2]) end
  return { tonumber(f[1]), tonumber(f[2]), tonumber(f[3]), tonumber(f[4]),
    tonumber(f[5]) or -1, at(50), at(95), mx }
end
local function finish(c, id, now, keep, prefix)
  redis.call('HSET', c, 'completedAt', now)
  redis.call('ZREM', prefix .. 'open', id)
  redis.call('PEXPIRE', c, keep)
  redis.call('PEXPIRE', c .. ':l', keep)
  redis.call('PEXPIRE', c .. ':r', keep)
  redis.call('ZREMRANGEBYSCORE', prefix .. 'cmds', '-inf', now - keep)
end
`;

// KEYS c, l, r; ARGV lampId, status, reason, actualLevel ('' = none), now, keep, commandId, prefix.
// 0: not a command of ours; 1: nothing changed; {2, summary}: changed; {3, summary}: completed.
const ACK = `${SUMMARY_FN}
local raw = redis.call('HGET', KEYS[2], ARGV[1])
if not raw then return 0 end
local e = cjson.decode(raw)
if ARGV[4] ~= '' then e.actualLevel = tonumber(ARGV[4]) end
if e.state ~= 'pending' and e.state ~= 'timedOut' then
  if ARGV[4] ~= '' then redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(e)) end
  return 1
end
local now = tonumber(ARGV[5])
redis.call('HINCRBY', KEYS[1], e.state, -1)
if ARGV[2] == 'rejected' then
  e.state = 'rejected'
  if ARGV[3] ~= '' then e.reason = ARGV[3] end
else
  local rtt = now - tonumber(redis.call('HGET', KEYS[1], 'first'))
  e.state = 'acked'
  e.rttMs = rtt
  redis.call('ZADD', KEYS[3], rtt, ARGV[1])
end
redis.call('HINCRBY', KEYS[1], e.state, 1)
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(e))
local code = 2
if tonumber(redis.call('HGET', KEYS[1], 'pending')) == 0 and not redis.call('HGET', KEYS[1], 'completedAt') then
  finish(KEYS[1], ARGV[7], now, tonumber(ARGV[6]), ARGV[8])
  code = 3
end
return { code, summary(KEYS[1], KEYS[3]) }`;

// KEYS open; ARGV now, timeoutMs, retries, prefix, keep, limit.
// Each claimed command: {id, 'resend', {lampIds}} or {id, 'done', summary}.
const TICK = `${SUMMARY_FN}
local now = tonumber(ARGV[1])
local prefix = ARGV[4]
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[6]))
local out = {}
for _, id in ipairs(ids) do
  local c = prefix .. 'cmd:' .. id
  local l = c .. ':l'
  local attempt = tonumber(redis.call('HGET', c, 'attempt'))
  if not attempt then
    redis.call('ZREM', KEYS[1], id)
  else
    local all = redis.call('HGETALL', l)
    local pending = {}
    local resend = attempt <= tonumber(ARGV[3])
    for i = 1, #all, 2 do
      local e = cjson.decode(all[i + 1])
      if e.state == 'pending' then
        if resend then e.attempts = e.attempts + 1 else e.state = 'timedOut' end
        redis.call('HSET', l, all[i], cjson.encode(e))
        pending[#pending + 1] = all[i]
      end
    end
    if resend then
      redis.call('HSET', c, 'attempt', attempt + 1)
      redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
      out[#out + 1] = { id, 'resend', pending }
    else
      redis.call('HINCRBY', c, 'pending', -#pending)
      redis.call('HINCRBY', c, 'timedOut', #pending)
      finish(c, id, now, tonumber(ARGV[5]), prefix)
      out[#out + 1] = { id, 'done', summary(c, c .. ':r') }
    end
  end
end
return out`;

// KEYS c, r: nil when unknown, else {meta, summary}.
const GET = `${SUMMARY_FN}
local meta = redis.call('HGET', KEYS[1], 'meta')
if not meta then return nil end
return { meta, summary(KEYS[1], KEYS[2]) }`;

type SummaryFields = [number, number, number, number, number, number, number, number];

interface Meta {
  command: LampCommand;
  target: CommandTarget;
  lampCount: number;
}

interface Scripts {
  gwAck(...args: (string | number)[]): Promise<0 | 1 | [2 | 3, SummaryFields]>;
  gwTick(
    ...args: (string | number)[]
  ): Promise<[string, 'resend' | 'done', string[] | SummaryFields][]>;
  gwGet(...args: string[]): Promise<[string, SummaryFields] | null>;
}

export interface SharedCommandOptions {
  timeoutMs: number;
  retries: number;
  now: () => number;
  log: Logger;
  send: (command: LampCommand, lampIds: readonly string[]) => void;
  /** This gateway completed the command (once in the cluster): audit and count it. */
  onDone: (summary: CommandSummary) => void;
  /** A command changed, on any gateway: tell this gateway's WebSocket clients. */
  onUpdate: (summary: CommandSummary) => void;
}

export async function openSharedCommandBook(
  r: GatewayRedis,
  opts: SharedCommandOptions,
): Promise<CommandBook> {
  const redis = r.redis;
  redis.defineCommand('gwAck', { numberOfKeys: 3, lua: ACK });
  redis.defineCommand('gwTick', { numberOfKeys: 1, lua: TICK });
  redis.defineCommand('gwGet', { numberOfKeys: 2, lua: GET });
  const scripts = redis as unknown as Scripts;
  const channel = r.key('commands');
  const cmdKey = (id: string) => r.key('cmd', id);
  const metas = new Map<string, Meta>();
  const remember = (id: string, meta: Meta) => {
    metas.set(id, meta);
    if (metas.size > 2_000) metas.delete(metas.keys().next().value!);
  };
  async function metaOf(id: string): Promise<Meta | undefined> {
    const known = metas.get(id);
    if (known) return known;
    const raw = await redis.hget(cmdKey(id), 'meta');
    if (raw === null) return undefined;
    const meta = JSON.parse(raw) as Meta;
    remember(id, meta);
    return meta;
  }
  const summaryOf = (meta: Meta, f: SummaryFields): CommandSummary => {
    const counts = { pending: f[0], acked: f[1], rejected: f[2], timedOut: f[3] };
    const orNull = (v: number) => (v < 0 ? null : v);
    const s: CommandSummary = {
      commandId: meta.command.commandId,
      target: meta.target,
      type: meta.command.type,
      issuedBy: meta.command.issuedBy ?? 'unknown',
      issuedAt: meta.command.issuedAt,
      status: statusOf(counts, meta.lampCount),
      lampCount: meta.lampCount,
      counts,
      rttMs: { p50: orNull(f[5]), p95: orNull(f[6]), max: orNull(f[7]) },
    };
    if (meta.command.type === 'override') s.level = meta.command.level;
    if (f[4] >= 0) s.completedAt = f[4];
    return s;
  };
  const publish = (s: CommandSummary) =>
    redis.publish(channel, JSON.stringify(s)).catch((err: Error) => {
      opts.log.warn({ err: err.message }, 'command update not published');
    });

  r.sub.on('message', (ch: string, text: string) => {
    if (ch !== channel) return;
    try {
      opts.onUpdate(JSON.parse(text) as CommandSummary);
    } catch (err) {
      opts.log.warn({ err: (err as Error).message }, 'bad command update from Redis');
    }
  });
  await r.sub.subscribe(channel);

  async function changed(id: string, code: 2 | 3, f: SummaryFields): Promise<void> {
    const meta = await metaOf(id);
    if (!meta) return;
    const s = summaryOf(meta, f);
    await publish(s);
    if (code === 3) opts.onDone(s);
  }

  let ticking = false;
  return {
    async begin(command, target, lampIds) {
      const ids = [...new Set(lampIds)];
      const t0 = opts.now();
      const id = command.commandId;
      const meta: Meta = { command, target, lampCount: ids.length };
      const c = cmdKey(id);
      const m = redis.multi().hset(c, {
        meta: JSON.stringify(meta),
        first: t0,
        attempt: 1,
        pending: ids.length,
        acked: 0,
        rejected: 0,
        timedOut: 0,
      });
      if (ids.length > 0) {
        const pending = '{"state":"pending","attempts":1}';
        m.hset(`${c}:l`, Object.fromEntries(ids.map((lampId) => [lampId, pending])));
        m.zadd(r.key('open'), t0 + opts.timeoutMs, id);
      } else {
        m.hset(c, 'completedAt', t0);
      }
      m.zadd(r.key('cmds'), t0, id);
      const res = await m.exec();
      const failed = res?.find(([err]) => err);
      if (!res || failed) throw failed?.[0] ?? new Error('Redis transaction aborted');
      remember(id, meta);
      // Recorded before sent: an ack, on whichever gateway, finds its command.
      opts.send(command, ids);
      const s = summaryOf(meta, [ids.length, 0, 0, 0, ids.length === 0 ? t0 : -1, -1, -1, -1]);
      if (ids.length === 0) {
        await publish(s);
        opts.onDone(s);
      }
      return s;
    },

    onAck(ack: CommandAck) {
      const c = cmdKey(ack.commandId);
      scripts
        .gwAck(
          c,
          `${c}:l`,
          `${c}:r`,
          ack.lampId,
          ack.status,
          ack.reason ?? '',
          ack.actualLevel === undefined ? '' : String(ack.actualLevel),
          opts.now(),
          KEEP_MS,
          ack.commandId,
          KEY_PREFIX,
        )
        .then((res) => (Array.isArray(res) ? changed(ack.commandId, res[0], res[1]) : undefined))
        .catch((err: Error) => opts.log.warn({ err: err.message }, 'ack not recorded in Redis'));
    },

    tick() {
      if (ticking) return;
      ticking = true;
      scripts
        .gwTick(
          r.key('open'),
          opts.now(),
          opts.timeoutMs,
          opts.retries,
          KEY_PREFIX,
          KEEP_MS,
          CLAIM_PER_TICK,
        )
        .then(async (claimed) => {
          for (const [id, what, data] of claimed) {
            if (what === 'done') {
              await changed(id, 3, data as SummaryFields);
              continue;
            }
            const meta = await metaOf(id);
            const lamps = data as string[];
            if (meta && lamps.length > 0) opts.send(meta.command, lamps);
          }
        })
        .catch((err: Error) => opts.log.warn({ err: err.message }, 'command deadlines not checked'))
        .finally(() => {
          ticking = false;
        });
    },

    async get(commandId) {
      const c = cmdKey(commandId);
      const res = await scripts.gwGet(c, `${c}:r`);
      if (!res) return undefined;
      const meta = JSON.parse(res[0]) as Meta;
      remember(commandId, meta);
      return summaryOf(meta, res[1]);
    },

    async lamps(commandId) {
      const all = await redis.hgetall(`${cmdKey(commandId)}:l`);
      const entries = Object.entries(all);
      if (entries.length === 0) {
        const exists = await redis.exists(cmdKey(commandId));
        return exists ? [] : undefined;
      }
      return entries.map(([lampId, json]) => ({
        lampId,
        ...(JSON.parse(json) as Omit<LampCommandState, 'lampId'>),
      }));
    },

    async list(filter = () => true, limit = 100) {
      const out: CommandSummary[] = [];
      const page = 100;
      for (let start = 0; start < LIST_SCAN && out.length < limit; start += page) {
        const ids = await redis.zrevrange(r.key('cmds'), start, start + page - 1);
        if (ids.length === 0) break;
        const p = redis.pipeline();
        for (const id of ids) {
          const c = cmdKey(id);
          p.gwGet(c, `${c}:r`);
          p.hkeys(`${c}:l`);
        }
        const res = (await p.exec()) ?? [];
        for (let i = 0; i < ids.length && out.length < limit; i++) {
          const got = res[2 * i]?.[1] as [string, SummaryFields] | null | undefined;
          const lampIds = (res[2 * i + 1]?.[1] as string[] | undefined) ?? [];
          if (!got) continue;
          const s = summaryOf(JSON.parse(got[0]) as Meta, got[1]);
          if (filter(s, () => lampIds)) out.push(s);
        }
        if (ids.length < page) break;
      }
      return out;
    },

    close: () => Promise.resolve(),
  };
}

declare module 'ioredis' {
  interface ChainableCommander {
    gwGet(...args: string[]): ChainableCommander;
  }
}

/**
 * Users and tokens shared by the cluster's gateways: one Redis hash of users (name -> JSON) and
 * one of tokens (SHA-256 of the secret -> JSON), written record by record, and a channel on which
 * a gateway that changed something tells the others to reload. Secrets are never stored, as in
 * the single gateway's users.json: only token hashes and scrypt password hashes.
 */
import type { SharedUsers, TokenRecord, User, UserChanges, UserState } from '../auth/UserStore.ts';
import type { GatewayRedis } from './redis.ts';

export function sharedUsers(r: GatewayRedis): SharedUsers {
  const usersKey = r.key('users');
  const tokensKey = r.key('tokens');
  const channel = r.key('users-changed');
  const listeners: (() => void)[] = [];
  // Subscribed before the first load, so that no change between the two is missed.
  const subscribed = r.sub.subscribe(channel);
  r.sub.on('message', (ch: string, from: string) => {
    if (ch !== channel || from === r.nodeId) return;
    for (const l of listeners) l();
  });
  const parse = <T>(v: string | null | undefined): T | undefined =>
    v == null ? undefined : (JSON.parse(v) as T);
  return {
    async load(): Promise<UserState> {
      await subscribed;
      const [users, tokens] = await Promise.all([
        r.redis.hvals(usersKey),
        r.redis.hvals(tokensKey),
      ]);
      return {
        users: users.map((u) => JSON.parse(u) as User).sort((a, b) => a.createdAt - b.createdAt),
        tokens: tokens
          .map((t) => JSON.parse(t) as TokenRecord)
          .sort((a, b) => a.createdAt - b.createdAt),
      };
    },
    async write(c: UserChanges): Promise<void> {
      const m = r.redis.multi();
      for (const u of c.users ?? []) m.hset(usersKey, u.username, JSON.stringify(u));
      for (const name of c.deletedUsers ?? []) m.hdel(usersKey, name);
      for (const t of c.tokens ?? []) m.hset(tokensKey, t.hash, JSON.stringify(t));
      for (const h of c.droppedTokens ?? []) m.hdel(tokensKey, h);
      m.publish(channel, r.nodeId);
      const res = await m.exec();
      const failed = res?.find(([err]) => err);
      if (!res || failed) throw failed?.[0] ?? new Error('Redis transaction aborted');
    },
    token: async (hash) => parse<TokenRecord>(await r.redis.hget(tokensKey, hash)),
    user: async (username) => parse<User>(await r.redis.hget(usersKey, username)),
    onChange(listener) {
      listeners.push(listener);
    },
  };
}

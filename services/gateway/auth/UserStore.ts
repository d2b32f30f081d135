import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '../jsonFiles.ts';
import { hashPassword, hashToken, newSecret, verifyPassword } from './passwords.ts';
import type { Principal, Role } from './roles.ts';

export interface User {
  username: string;
  role: Role;
  vendorId?: string;
  passwordHash: string;
  createdAt: number;
}

export interface TokenRecord {
  id: string;
  /** SHA-256 of the secret; the secret itself is shown once and never stored. */
  hash: string;
  username: string;
  kind: 'session' | 'api';
  name?: string;
  createdAt: number;
  expiresAt?: number;
  revokedAt?: number;
}

export type PublicUser = Omit<User, 'passwordHash'>;
export type PublicToken = Omit<TokenRecord, 'hash'>;

interface State {
  users: User[];
  tokens: TokenRecord[];
}

export class UserStoreError extends Error {
  constructor(
    readonly code: 'exists' | 'not_found' | 'bootstrapped' | 'bad_secret',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Users and tokens, persisted as one JSON file. Until a first admin exists a one-time bootstrap
 * secret (printed at start) is the only way in; it dies with the first admin.
 */
export class UserStore {
  private state: State = { users: [], tokens: [] };
  private readonly byHash = new Map<string, TokenRecord>();
  private writing: Promise<void> = Promise.resolve();
  private bootstrapSecret: string | undefined;

  private constructor(
    private readonly path: string,
    private readonly now: () => number,
    private readonly sessionTtlMs: number,
  ) {}

  static async open(
    dataDir: string,
    opts: { now?: () => number; sessionTtlMs: number },
  ): Promise<UserStore> {
    const store = new UserStore(
      join(dataDir, 'users.json'),
      opts.now ?? Date.now,
      opts.sessionTtlMs,
    );
    store.state = await readJson<State>(store.path, { users: [], tokens: [] });
    for (const t of store.state.tokens) store.byHash.set(t.hash, t);
    if (!store.state.users.some((u) => u.role === 'admin')) {
      store.bootstrapSecret = newSecret('boot');
    }
    return store;
  }

  /** The one-time secret that creates the first admin; undefined once an admin exists. */
  get pendingBootstrapSecret(): string | undefined {
    return this.bootstrapSecret;
  }

  async bootstrap(secret: string, username: string, password: string): Promise<PublicUser> {
    if (!this.bootstrapSecret) throw new UserStoreError('bootstrapped', 'an admin already exists');
    const a = Buffer.from(secret);
    const b = Buffer.from(this.bootstrapSecret);
    if (a.length !== b.length || !a.equals(b))
      throw new UserStoreError('bad_secret', 'wrong bootstrap secret');
    this.bootstrapSecret = undefined;
    return this.createUser({ username, password, role: 'admin' });
  }

  users(): PublicUser[] {
    return this.state.users.map(publicUser);
  }

  async createUser(input: {
    username: string;
    password: string;
    role: Role;
    vendorId?: string;
  }): Promise<PublicUser> {
    const exists = () => this.state.users.some((u) => u.username === input.username);
    if (exists()) throw new UserStoreError('exists', `user ${input.username} exists`);
    const passwordHash = await hashPassword(input.password);
    // Checked again after the hash (~50 ms): two requests for one name must not both get in.
    if (exists()) throw new UserStoreError('exists', `user ${input.username} exists`);
    const user: User = {
      username: input.username,
      role: input.role,
      passwordHash,
      createdAt: this.now(),
    };
    if (input.vendorId !== undefined) user.vendorId = input.vendorId;
    this.state.users.push(user);
    await this.save();
    return publicUser(user);
  }

  async deleteUser(username: string): Promise<void> {
    const before = this.state.users.length;
    this.state.users = this.state.users.filter((u) => u.username !== username);
    if (this.state.users.length === before)
      throw new UserStoreError('not_found', `no user ${username}`);
    for (const t of this.state.tokens) if (t.username === username) t.revokedAt ??= this.now();
    await this.save();
  }

  /** Check a password and open a session; undefined on any failure (no hint which part failed). */
  async login(
    username: string,
    password: string,
  ): Promise<{ token: string; expiresAt: number } | undefined> {
    const user = this.state.users.find((u) => u.username === username);
    // Hash anyway when the user is unknown so timing does not reveal which usernames exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) return undefined;
    const expiresAt = this.now() + this.sessionTtlMs;
    const { token } = await this.issue(user.username, 'session', undefined, expiresAt);
    return { token, expiresAt };
  }

  async createApiToken(
    username: string,
    name: string,
    expiresAt?: number,
  ): Promise<{ token: string; record: PublicToken }> {
    if (!this.state.users.some((u) => u.username === username))
      throw new UserStoreError('not_found', `no user ${username}`);
    return this.issue(username, 'api', name, expiresAt);
  }

  tokens(username?: string): PublicToken[] {
    return this.state.tokens
      .filter((t) => username === undefined || t.username === username)
      .map(publicToken);
  }

  async revokeToken(id: string): Promise<PublicToken> {
    const t = this.state.tokens.find((x) => x.id === id);
    if (!t) throw new UserStoreError('not_found', `no token ${id}`);
    t.revokedAt ??= this.now();
    await this.save();
    return publicToken(t);
  }

  /** False once the token is revoked, expired or its user deleted (open sockets check this). */
  isTokenActive(id: string): boolean {
    const t = this.state.tokens.find((x) => x.id === id);
    if (!t || t.revokedAt !== undefined) return false;
    if (t.expiresAt !== undefined && t.expiresAt <= this.now()) return false;
    return this.state.users.some((u) => u.username === t.username);
  }

  tokenOwner(id: string): string | undefined {
    return this.state.tokens.find((x) => x.id === id)?.username;
  }

  /** Resolve a bearer token to a principal; undefined when unknown, revoked or expired. */
  authenticate(token: string): Principal | undefined {
    const t = this.byHash.get(hashToken(token));
    if (!t || t.revokedAt !== undefined) return undefined;
    if (t.expiresAt !== undefined && t.expiresAt <= this.now()) return undefined;
    const user = this.state.users.find((u) => u.username === t.username);
    if (!user) return undefined;
    const p: Principal = { username: user.username, role: user.role, tokenId: t.id };
    if (user.vendorId !== undefined) p.vendorId = user.vendorId;
    return p;
  }

  /** Wait for pending writes (tests, shutdown). */
  flush(): Promise<void> {
    return this.writing.catch(() => undefined);
  }

  private async issue(
    username: string,
    kind: TokenRecord['kind'],
    name?: string,
    expiresAt?: number,
  ) {
    const token = newSecret(kind === 'api' ? 'gdk' : 'gds');
    const record: TokenRecord = {
      id: randomBytes(6).toString('hex'),
      hash: hashToken(token),
      username,
      kind,
      createdAt: this.now(),
    };
    if (name !== undefined) record.name = name;
    if (expiresAt !== undefined) record.expiresAt = expiresAt;
    // Expired sessions are dropped on every issue so the file does not grow without bound.
    const t = this.now();
    this.state.tokens = this.state.tokens.filter((x) => {
      const dead = x.kind === 'session' && x.expiresAt !== undefined && x.expiresAt <= t;
      if (dead) this.byHash.delete(x.hash);
      return !dead;
    });
    this.state.tokens.push(record);
    this.byHash.set(record.hash, record);
    await this.save();
    return { token, record: publicToken(record) };
  }

  private save(): Promise<void> {
    const snapshot = JSON.parse(JSON.stringify(this.state)) as State;
    // Each write is a whole snapshot: after a failed one (reported to its caller) the next still runs.
    this.writing = this.writing
      .catch(() => undefined)
      .then(() => writeJsonAtomic(this.path, snapshot));
    return this.writing;
  }
}

const DUMMY_HASH = 'scrypt$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

function publicUser({ passwordHash: _, ...u }: User): PublicUser {
  return u;
}

function publicToken({ hash: _, ...t }: TokenRecord): PublicToken {
  return t;
}

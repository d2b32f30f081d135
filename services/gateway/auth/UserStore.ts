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

export interface UserState {
  users: User[];
  tokens: TokenRecord[];
}
type State = UserState;

/** What changed in one write: the records to put and the ones to drop. */
export interface UserChanges {
  users?: User[];
  deletedUsers?: string[];
  tokens?: TokenRecord[];
  /** Token hashes. */
  droppedTokens?: string[];
}

/**
 * Where users and tokens live when several gateways share them (cluster/sharedUsers.ts, Redis):
 * the store then writes each changed record there instead of its file, reads a token and its user
 * from there on every authentication (a login on one gateway is valid on all, a revocation on one
 * refuses on all at once), and reloads everything when another gateway says something changed.
 */
export interface SharedUsers {
  load(): Promise<UserState>;
  write(changes: UserChanges): Promise<void>;
  token(hash: string): Promise<TokenRecord | undefined>;
  user(username: string): Promise<User | undefined>;
  /** Called when another gateway changed users or tokens. */
  onChange(listener: () => void): void;
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

  private reloading: Promise<void> | undefined;

  private constructor(
    private readonly path: string,
    private readonly now: () => number,
    private readonly sessionTtlMs: number,
    private readonly shared: SharedUsers | undefined,
  ) {}

  static async open(
    dataDir: string,
    opts: { now?: () => number; sessionTtlMs: number; shared?: SharedUsers },
  ): Promise<UserStore> {
    const store = new UserStore(
      join(dataDir, 'users.json'),
      opts.now ?? Date.now,
      opts.sessionTtlMs,
      opts.shared,
    );
    const local = await readJson<State>(store.path, { users: [], tokens: [] });
    if (opts.shared) {
      let state = await opts.shared.load();
      // The first gateway of a new cluster brings the users it had on its own.
      if (state.users.length === 0 && local.users.length > 0) {
        await opts.shared.write({ users: local.users, tokens: local.tokens });
        state = await opts.shared.load();
      }
      store.replace(state);
      opts.shared.onChange(() => void store.reload());
    } else {
      store.replace(local);
    }
    if (!store.state.users.some((u) => u.role === 'admin')) {
      store.bootstrapSecret = newSecret('boot');
    }
    return store;
  }

  private replace(state: State): void {
    this.state = state;
    this.byHash.clear();
    for (const t of state.tokens) this.byHash.set(t.hash, t);
  }

  /** Shared: read everything again (another gateway changed something). */
  private reload(): Promise<void> {
    const shared = this.shared;
    if (!shared) return Promise.resolve();
    this.reloading ??= shared
      .load()
      .then((state) => this.replace(state))
      .catch(() => undefined)
      .finally(() => {
        this.reloading = undefined;
      });
    return this.reloading;
  }

  /** Shared: take one user's record (or its absence) from the shared state. */
  private async refreshUser(username: string): Promise<void> {
    if (!this.shared) return;
    const user = await this.shared.user(username);
    this.state.users = this.state.users.filter((u) => u.username !== username);
    if (user) this.state.users.push(user);
  }

  /** The one-time secret that creates the first admin; undefined once an admin exists. */
  get pendingBootstrapSecret(): string | undefined {
    return this.bootstrapSecret;
  }

  async bootstrap(secret: string, username: string, password: string): Promise<PublicUser> {
    if (!this.bootstrapSecret) throw new UserStoreError('bootstrapped', 'an admin already exists');
    if (this.shared) {
      // Another gateway's secret may have made the admin already.
      await this.reload();
      if (this.state.users.some((u) => u.role === 'admin')) {
        this.bootstrapSecret = undefined;
        throw new UserStoreError('bootstrapped', 'an admin already exists');
      }
    }
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
    await this.refreshUser(input.username);
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
    await this.save({ users: [user] });
    return publicUser(user);
  }

  async deleteUser(username: string): Promise<void> {
    await this.reload();
    const before = this.state.users.length;
    this.state.users = this.state.users.filter((u) => u.username !== username);
    if (this.state.users.length === before)
      throw new UserStoreError('not_found', `no user ${username}`);
    const revoked: TokenRecord[] = [];
    for (const t of this.state.tokens) {
      if (t.username !== username) continue;
      t.revokedAt ??= this.now();
      revoked.push(t);
    }
    await this.save({ deletedUsers: [username], tokens: revoked });
  }

  /** Check a password and open a session; undefined on any failure (no hint which part failed). */
  async login(
    username: string,
    password: string,
  ): Promise<{ token: string; expiresAt: number } | undefined> {
    await this.refreshUser(username);
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
    await this.refreshUser(username);
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
    let t = this.state.tokens.find((x) => x.id === id);
    if (!t && this.shared) {
      await this.reload();
      t = this.state.tokens.find((x) => x.id === id);
    }
    if (!t) throw new UserStoreError('not_found', `no token ${id}`);
    t.revokedAt ??= this.now();
    await this.save({ tokens: [t] });
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

  /**
   * `authenticate`, after taking the token and its user from the shared state when there is one,
   * so that a session opened or revoked on another gateway counts here at once.
   */
  async authenticateNow(token: string): Promise<Principal | undefined> {
    if (this.shared) {
      const hash = hashToken(token);
      const t = await this.shared.token(hash);
      const old = this.byHash.get(hash);
      if (old) this.state.tokens = this.state.tokens.filter((x) => x !== old);
      this.byHash.delete(hash);
      if (t) {
        this.state.tokens.push(t);
        this.byHash.set(hash, t);
        await this.refreshUser(t.username);
      }
    }
    return this.authenticate(token);
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
    const dropped: string[] = [];
    this.state.tokens = this.state.tokens.filter((x) => {
      const dead = x.kind === 'session' && x.expiresAt !== undefined && x.expiresAt <= t;
      if (dead) {
        this.byHash.delete(x.hash);
        dropped.push(x.hash);
      }
      return !dead;
    });
    this.state.tokens.push(record);
    this.byHash.set(record.hash, record);
    await this.save({ tokens: [record], droppedTokens: dropped });
    return { token, record: publicToken(record) };
  }

  private save(changes: UserChanges): Promise<void> {
    const shared = this.shared;
    if (shared) {
      // Records, not snapshots: two gateways writing at once must not undo each other's tokens.
      this.writing = this.writing.catch(() => undefined).then(() => shared.write(changes));
      return this.writing;
    }
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

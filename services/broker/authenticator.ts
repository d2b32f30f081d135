import { createHash } from 'node:crypto';
import { deriveDevicePassword } from '../../shared/auth/deviceCredentials.ts';
import { servicePassword } from '../../shared/auth/serviceAccounts.ts';
import {
  type CredentialFile,
  isSlowHash,
  sameSecret,
  verifyFastSecret,
  verifySecret,
} from './credentials.ts';
import {
  type Claim,
  CONNACK,
  type ConnectAttempt,
  claimIdentity,
  clientIdProblem,
  type Directory,
  type ServiceRole,
} from './policy.ts';
import type { WorkGate } from './workGate.ts';

export interface AuthenticatorOptions {
  directory: Directory;
  allowAnonymous: boolean;
  /** Accept passwords derived from the lab secret (devices and service accounts). */
  acceptDerived: boolean;
  labSecret: string | undefined;
  /** Explicit service-account passwords; they win over derived ones. */
  servicePasswords: Partial<Record<ServiceRole, string>>;
  /** The current issued-credentials file (reloaded by the caller when it changes). */
  credentials: () => CredentialFile;
  /** Where scrypt checks (credential files written before SHA-256 hashes) queue. */
  slowHashGate: WorkGate;
}

export type Authenticator = (
  attempt: ConnectAttempt & { password: Buffer | undefined },
) => Promise<Claim>;

const digest = (b: Buffer) => createHash('sha256').update(b).digest('base64url');

/**
 * Check a CONNECT: the identity it claims (policy.ts), then the secret for that account, then
 * the client id. Issued secrets take precedence over derived ones. Every check a stranger can
 * trigger is a constant-time HMAC or SHA-256 comparison on the event loop; only the older scrypt
 * hashes need the thread pool, through the capped gate, and once per device and secret (a
 * reconnect then costs one SHA-256, so 280 lamps reconnecting after a power cut queue nothing).
 * An unknown user, a revoked device and a wrong password get the same answer after the same
 * kind of work.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  /** Per account: the scrypt hash last verified and the digest of the secret that matched it. */
  const verified = new Map<string, { hash: string; digest: string }>();
  const derived = (account: string) =>
    options.acceptDerived && options.labSecret
      ? deriveDevicePassword(options.labSecret, account)
      : undefined;

  /** True, false, or undefined when the scrypt queue is full. */
  const deviceSecretMatches = async (
    account: string,
    password: Buffer,
  ): Promise<boolean | undefined> => {
    const entry = options.credentials().devices[account];
    const hash = entry?.hash;
    if (hash === undefined || entry?.revokedAt) {
      const expected = derived(account);
      const match = expected !== undefined && sameSecret(password, expected);
      return match && !entry?.revokedAt;
    }
    if (!isSlowHash(hash)) return verifyFastSecret(password, hash);
    const seen = verified.get(account);
    if (seen?.hash === hash && seen.digest === digest(password)) return true;
    const ok = await options.slowHashGate.run(() => verifySecret(password.toString('utf8'), hash));
    if (ok) verified.set(account, { hash, digest: digest(password) });
    return ok;
  };

  const serviceSecretMatches = (role: ServiceRole, password: Buffer): boolean => {
    const explicit = options.servicePasswords[role];
    if (explicit !== undefined) return sameSecret(password, explicit);
    const expected =
      options.acceptDerived && options.labSecret
        ? servicePassword(role, options.labSecret)
        : undefined;
    return expected !== undefined && sameSecret(password, expected);
  };

  return async (attempt) => {
    const claim = claimIdentity(attempt, options.directory, options.allowAnonymous);
    const password = attempt.password ?? Buffer.alloc(0);
    if (!claim.ok) {
      if (claim.reason === 'unknown_user' && attempt.username) {
        // The same comparison a known lamp without issued credentials gets, answered the same.
        await deviceSecretMatches(`unknown:${attempt.username}`, password);
      }
      return claim;
    }
    if (claim.identity.kind === 'anonymous') return claim;
    const bad: Claim = {
      ok: false,
      reason: 'bad_credentials',
      detail: `wrong password for ${claim.account}`,
      returnCode: CONNACK.badCredentials,
    };
    let ok: boolean | undefined;
    if (claim.identity.kind === 'service') {
      ok = serviceSecretMatches(claim.identity.role, password);
    } else {
      ok = await deviceSecretMatches(claim.account, password);
      const revokedAt = options.credentials().devices[claim.account]?.revokedAt;
      // Revoked answers like a wrong password: CONNACK 5 would tell that the id exists.
      if (revokedAt) {
        return { ...bad, reason: 'revoked', detail: `${claim.account} revoked at ${revokedAt}` };
      }
    }
    if (ok === undefined) {
      return {
        ok: false,
        reason: 'auth_busy',
        detail: `scrypt queue full, ${claim.account} asked to retry`,
        returnCode: CONNACK.serverUnavailable,
      };
    }
    if (!ok) return bad;
    return clientIdProblem(claim.identity, attempt.clientId, options.directory) ?? claim;
  };
}

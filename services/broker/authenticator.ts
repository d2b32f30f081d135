import { createHash } from 'node:crypto';
import { deriveDevicePassword } from '../../shared/auth/deviceCredentials.ts';
import { servicePassword } from '../../shared/auth/serviceAccounts.ts';
import { type CredentialFile, sameSecret, verifySecret } from './credentials.ts';
import {
  type Claim,
  type ConnectAttempt,
  claimIdentity,
  type Directory,
  type ServiceRole,
} from './policy.ts';

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
}

export type Authenticator = (
  attempt: ConnectAttempt & { password: Buffer | undefined },
) => Promise<Claim>;

const digest = (b: Buffer) => createHash('sha256').update(b).digest('base64url');

/**
 * Check a CONNECT: the identity it claims (policy.ts), then the secret for that account. Issued
 * secrets take precedence over derived ones; scrypt runs once per device and secret, after which a
 * reconnect costs one SHA-256 (a route of lamps reconnecting after a power cut must not queue
 * 280 scrypt runs).
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const verified = new Map<string, string>();
  return async (attempt) => {
    const claim = claimIdentity(attempt, options.directory, options.allowAnonymous);
    if (!claim.ok || claim.identity.kind === 'anonymous') return claim;
    const password = attempt.password ?? Buffer.alloc(0);
    const bad: Claim = {
      ok: false,
      reason: 'bad_credentials',
      detail: `wrong password for ${claim.account}`,
      returnCode: 4,
    };

    if (claim.identity.kind === 'service') {
      const explicit = options.servicePasswords[claim.identity.role];
      if (explicit !== undefined) return sameSecret(password, explicit) ? claim : bad;
      if (options.acceptDerived && options.labSecret) {
        return sameSecret(password, servicePassword(claim.identity.role, options.labSecret))
          ? claim
          : bad;
      }
      return bad;
    }

    const entry = options.credentials().devices[claim.account];
    if (entry?.revokedAt) {
      return {
        ok: false,
        reason: 'revoked',
        detail: `${claim.account} revoked at ${entry.revokedAt}`,
        returnCode: 5,
      };
    }
    if (entry?.hash) {
      const key = `${claim.account}\n${entry.hash}`;
      if (verified.get(key) === digest(password)) return claim;
      if (!(await verifySecret(password.toString('utf8'), entry.hash))) return bad;
      verified.set(key, digest(password));
      return claim;
    }
    if (options.acceptDerived && options.labSecret) {
      return sameSecret(password, deriveDevicePassword(options.labSecret, claim.account))
        ? claim
        : bad;
    }
    return bad;
  };
}

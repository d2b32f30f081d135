/**
 * Issued device credentials: random secrets handed to a device once, stored only as hashes in a
 * JSON file (BROKER_CREDENTIALS_PATH). Revoking keeps a tombstone so a revoked device cannot fall
 * back to a lab-derived password.
 *
 * An issued secret is 192 random bits, so a plain SHA-256 of it is as hard to reverse as the
 * secret is to guess: no key stretching needed, and checking a wrong one costs microseconds on
 * the event loop instead of a scrypt run on libuv's shared thread pool. Files written before
 * hold salted scrypt hashes; they are still read (server.ts caps how many run at once).
 */
import { createHash, randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../../shared/contract/index.ts';

/** scrypt cost: N=2^14, r=8, p=1 (RFC 7914's interactive-login figures), 32-byte key. */
export const SCRYPT_PARAMS = { N: 16_384, r: 8, p: 1, keyLength: 32 } as const;

const Entry = z.strictObject({
  /** `sha256$<hash base64url>`, or the older `scrypt$N$r$p$<salt base64url>$<hash base64url>` */
  hash: z
    .string()
    .regex(/^(sha256\$[\w-]{43}|scrypt\$\d+\$\d+\$\d+\$[\w-]+\$[\w-]+)$/)
    .optional(),
  issuedAt: z.string(),
  revokedAt: z.string().optional(),
});
export type CredentialEntry = z.infer<typeof Entry>;

export const CredentialFile = z.strictObject({
  version: z.literal(1),
  devices: z.record(z.string(), Entry),
});
export type CredentialFile = z.infer<typeof CredentialFile>;

export const emptyCredentials = (): CredentialFile => ({ version: 1, devices: {} });

function scryptAsync(
  password: string,
  salt: Buffer,
  keyLength: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyLength, { ...options, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

const sha256 = (secret: string | Buffer) => createHash('sha256').update(secret).digest();

/** The hash stored for an issued (high-entropy, random) secret. */
export const hashIssuedSecret = (secret: string): string =>
  `sha256$${sha256(secret).toString('base64url')}`;

/** Whether a stored hash needs scrypt to check (files written before SHA-256 hashes). */
export const isSlowHash = (encoded: string): boolean => encoded.startsWith('scrypt$');

/** Check against a `sha256$` hash: constant time, no thread pool. */
export function verifyFastSecret(secret: Buffer, encoded: string): boolean {
  const [scheme, hash] = encoded.split('$');
  if (scheme !== 'sha256' || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  return expected.length === 32 && timingSafeEqual(sha256(secret), expected);
}

/** A salted scrypt hash: what files held before; kept for tests of those files. */
export async function hashSecret(secret: string, params = SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, params.keyLength, params);
  return [
    'scrypt',
    params.N,
    params.r,
    params.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

/** Check a secret against either kind of stored hash (scrypt runs on the thread pool). */
export async function verifySecret(secret: string, encoded: string): Promise<boolean> {
  if (!isSlowHash(encoded)) return verifyFastSecret(Buffer.from(secret), encoded);
  const [scheme, n, r, p, salt, hash] = encoded.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(secret, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(key, expected);
}

/** Constant-time comparison of two secrets of any length. */
export function sameSecret(a: string | Buffer, b: string): boolean {
  const x = Buffer.isBuffer(a) ? a : Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class CredentialFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`credentials file ${path}: ${reason}`);
    this.name = 'CredentialFileError';
  }
}

/** A missing file is an empty one: nothing issued yet. */
export function readCredentials(path: string): CredentialFile {
  if (!existsSync(path)) return emptyCredentials();
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CredentialFileError(path, `not JSON (${(err as Error).message})`);
  }
  const parsed = CredentialFile.safeParse(json);
  if (!parsed.success) throw new CredentialFileError(path, describeIssues(parsed.error).reason);
  return parsed.data;
}

/** Write through a temp file and rename, so a crash never leaves half a file; mode 0600. */
export function writeCredentials(path: string, file: CredentialFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Issue a fresh random secret for a device; returns the secret (shown once) and the new file. */
export async function issue(
  file: CredentialFile,
  deviceId: string,
  now = new Date(),
): Promise<{ secret: string; file: CredentialFile }> {
  const secret = randomBytes(24).toString('base64url');
  const entry: CredentialEntry = { hash: hashIssuedSecret(secret), issuedAt: now.toISOString() };
  return { secret, file: { ...file, devices: { ...file.devices, [deviceId]: entry } } };
}

export function revoke(file: CredentialFile, deviceId: string, now = new Date()): CredentialFile {
  const issuedAt = file.devices[deviceId]?.issuedAt ?? now.toISOString();
  return {
    ...file,
    devices: { ...file.devices, [deviceId]: { issuedAt, revokedAt: now.toISOString() } },
  };
}

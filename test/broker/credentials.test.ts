import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../services/broker/authenticator.ts';
import {
  CredentialFileError,
  emptyCredentials,
  hashSecret,
  issue,
  readCredentials,
  revoke,
  verifySecret,
  writeCredentials,
} from '../../services/broker/credentials.ts';
import { createDirectory } from '../../services/broker/policy.ts';
import { deriveDevicePassword } from '../../shared/auth/deviceCredentials.ts';
import { servicePassword } from '../../shared/auth/serviceAccounts.ts';
import { loadRegistry } from '../../shared/registry/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'gadelys-creds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const directory = createDirectory(loadRegistry());
const secret = 'lab-secret';

describe('scrypt hashes', () => {
  it('verifies the secret and nothing else; salts differ', async () => {
    const a = await hashSecret('s3cret');
    const b = await hashSecret('s3cret');
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret');
    expect(await verifySecret('s3cret', a)).toBe(true);
    expect(await verifySecret('s3cret!', a)).toBe(false);
    expect(await verifySecret('s3cret', 'plain$text')).toBe(false);
  });
});

describe('credentials file', () => {
  it('round-trips through disk with mode 0600 and keeps revocations', async () => {
    const path = join(dir, 'creds.json');
    expect(readCredentials(path)).toEqual(emptyCredentials());
    const issued = await issue(emptyCredentials(), 'DOLL-0001');
    writeCredentials(path, revoke(issued.file, 'DOLL-0002'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).not.toContain(issued.secret);
    const back = readCredentials(path);
    expect(await verifySecret(issued.secret, back.devices['DOLL-0001']!.hash!)).toBe(true);
    expect(back.devices['DOLL-0002']!.revokedAt).toBeDefined();
  });

  it('names the file and the problem when it is invalid', () => {
    const path = join(dir, 'bad.json');
    writeCredentials(path, { version: 2 } as never);
    expect(() => readCredentials(path)).toThrow(CredentialFileError);
    expect(() => readCredentials(path)).toThrow(/bad\.json: version/);
  });
});

describe('authenticator', () => {
  const lamp = (id: string, password: string) => ({
    clientId: id,
    username: id,
    password: Buffer.from(password),
    hasPassword: true,
  });

  it('accepts derived passwords for devices and services, refuses wrong ones with code 4', async () => {
    const auth = createAuthenticator({
      directory,
      allowAnonymous: false,
      acceptDerived: true,
      labSecret: secret,
      servicePasswords: {},
      credentials: emptyCredentials,
    });
    expect((await auth(lamp('DOLL-0001', deriveDevicePassword(secret, 'DOLL-0001')))).ok).toBe(
      true,
    );
    expect(await auth(lamp('DOLL-0001', deriveDevicePassword(secret, 'DOLL-0002')))).toMatchObject({
      ok: false,
      returnCode: 4,
    });
    const svc = { clientId: 'p1', username: 'processor', hasPassword: true };
    expect(
      (await auth({ ...svc, password: Buffer.from(servicePassword('processor', secret)) })).ok,
    ).toBe(true);
    expect(
      (await auth({ ...svc, password: Buffer.from(servicePassword('gateway', secret)) })).ok,
    ).toBe(false);
  });

  it('prefers issued secrets, refuses revoked devices, and can turn derivation off', async () => {
    const issued = await issue(emptyCredentials(), 'DOLL-0001');
    let file = revoke(issued.file, 'DOLL-0003');
    const opts = {
      directory,
      allowAnonymous: false,
      labSecret: secret,
      servicePasswords: { gateway: 'gw-pass' },
      credentials: () => file,
    };
    const auth = createAuthenticator({ ...opts, acceptDerived: true });
    expect((await auth(lamp('DOLL-0001', issued.secret))).ok).toBe(true);
    expect((await auth(lamp('DOLL-0001', issued.secret))).ok).toBe(true); // cached path
    expect((await auth(lamp('DOLL-0001', deriveDevicePassword(secret, 'DOLL-0001')))).ok).toBe(
      false,
    );
    expect((await auth(lamp('DOLL-0002', deriveDevicePassword(secret, 'DOLL-0002')))).ok).toBe(
      true,
    );
    expect(await auth(lamp('DOLL-0003', deriveDevicePassword(secret, 'DOLL-0003')))).toMatchObject({
      reason: 'revoked',
      returnCode: 5,
    });
    const gw = { clientId: 'g', username: 'gateway', hasPassword: true };
    expect((await auth({ ...gw, password: Buffer.from('gw-pass') })).ok).toBe(true);
    expect(
      (await auth({ ...gw, password: Buffer.from(servicePassword('gateway', secret)) })).ok,
    ).toBe(false);

    const strict = createAuthenticator({ ...opts, acceptDerived: false });
    expect((await strict(lamp('DOLL-0002', deriveDevicePassword(secret, 'DOLL-0002')))).ok).toBe(
      false,
    );
    expect((await strict(lamp('DOLL-0001', issued.secret))).ok).toBe(true);
    // Revoking after a successful login takes effect at the next connect despite the cache.
    file = revoke(file, 'DOLL-0001');
    expect((await strict(lamp('DOLL-0001', issued.secret))).ok).toBe(false);
  });
});

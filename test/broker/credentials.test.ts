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
import { createWorkGate } from '../../services/broker/workGate.ts';
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

const lamp = (id: string, password: string) => ({
  clientId: id,
  username: id,
  password: Buffer.from(password),
  hasPassword: true,
});

describe('issued secrets', () => {
  it('are stored as SHA-256 (no scrypt on the thread pool), and older scrypt files still verify', async () => {
    const issued = await issue(emptyCredentials(), 'DOLL-0001');
    const hash = issued.file.devices['DOLL-0001']!.hash!;
    expect(hash).toMatch(/^sha256\$[\w-]{43}$/);
    expect(await verifySecret(issued.secret, hash)).toBe(true);
    expect(await verifySecret(`${issued.secret}x`, hash)).toBe(false);
    const legacy = {
      ...issued.file,
      devices: { 'DOLL-0002': { hash: await hashSecret('old'), issuedAt: 'x' } },
    };
    const path = join(dir, 'legacy.json');
    writeCredentials(path, legacy);
    expect(await verifySecret('old', readCredentials(path).devices['DOLL-0002']!.hash!)).toBe(true);
  });

  it('refuses scrypt checks beyond the gate at once (CONNACK 3), never queueing without bound', async () => {
    const legacy = {
      version: 1 as const,
      devices: { 'DOLL-0002': { hash: await hashSecret('old'), issuedAt: 'x' } },
    };
    const gate = createWorkGate(1, 2);
    const auth = createAuthenticator({
      directory,
      allowAnonymous: false,
      acceptDerived: false,
      labSecret: undefined,
      servicePasswords: {},
      credentials: () => legacy,
      slowHashGate: gate,
    });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => auth(lamp('DOLL-0002', `guess ${i}`))),
    );
    const codes = answers.map((a) => (a.ok ? 0 : a.returnCode));
    // One runs, two wait, seven are told to come back later without costing a scrypt run.
    expect(codes.filter((c) => c === 4)).toHaveLength(3);
    expect(codes.filter((c) => c === 3)).toHaveLength(7);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
    expect((await auth(lamp('DOLL-0002', 'old'))).ok).toBe(true);
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
  it('accepts derived passwords for devices and services, refuses wrong ones with code 4', async () => {
    const auth = createAuthenticator({
      directory,
      allowAnonymous: false,
      acceptDerived: true,
      labSecret: secret,
      servicePasswords: {},
      credentials: emptyCredentials,
      slowHashGate: createWorkGate(1, 16),
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
      slowHashGate: createWorkGate(1, 16),
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
    // Revoked answers like a wrong password (code 4): 5 would tell a stranger the id exists.
    expect(await auth(lamp('DOLL-0003', deriveDevicePassword(secret, 'DOLL-0003')))).toMatchObject({
      reason: 'revoked',
      returnCode: 4,
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

import { describe, expect, it } from 'vitest';
import { claimIdentity, createDirectory } from '../../services/broker/policy.ts';
import { deriveDevicePassword } from '../../shared/auth/deviceCredentials.ts';
import {
  DEFAULT_SERVICE_USERNAMES,
  mqttPasswordOf,
  roleOfUsername,
  SERVICE_ROLES,
  servicePassword,
  usernameProblems,
} from '../../shared/auth/serviceAccounts.ts';
import { loadRegistry } from '../../shared/registry/index.ts';

const registry = loadRegistry();
const lampId = registry.lamps[0]!.id;
const renamed = { ...DEFAULT_SERVICE_USERNAMES, gateway: 'gw-east' };

describe('servicePassword', () => {
  it('derives one password per role and secret, apart from any device', () => {
    const all = SERVICE_ROLES.map((r) => servicePassword(r, 'secret'));
    expect(new Set(all).size).toBe(SERVICE_ROLES.length);
    expect(servicePassword('gateway', 'secret')).not.toBe(servicePassword('gateway', 'other'));
    expect(servicePassword('gateway', 'secret')).not.toBe(
      deriveDevicePassword('secret', 'gateway'),
    );
  });

  it('is what a service logs in with unless an explicit password is set', () => {
    expect(mqttPasswordOf('processor', undefined, 's')).toBe(servicePassword('processor', 's'));
    expect(mqttPasswordOf('processor', 'explicit', 's')).toBe('explicit');
    expect(mqttPasswordOf('processor', undefined, undefined)).toBeUndefined();
  });
});

describe('usernames to roles', () => {
  it.each([
    ['gw-east', 'gateway'],
    ['processor', 'processor'],
    ['gateway', undefined],
    [lampId, undefined],
  ])('%s logs in as %s', (username, role) => {
    expect(roleOfUsername(renamed, username)).toBe(role);
  });

  it('lets the broker claim a renamed account for its role, and the old name for nobody', () => {
    const directory = createDirectory(registry, renamed);
    const claim = claimIdentity(
      { clientId: 'gw-1', username: 'gw-east', hasPassword: true },
      directory,
      false,
    );
    expect(claim).toMatchObject({
      ok: true,
      identity: { kind: 'service', role: 'gateway' },
      account: 'svc:gateway',
    });
    expect(
      claimIdentity({ clientId: 'gw-2', username: 'gateway', hasPassword: true }, directory, false),
    ).toMatchObject({ ok: false, reason: 'unknown_user' });
  });

  it.each([
    ['none for the defaults', DEFAULT_SERVICE_USERNAMES, []],
    [
      'two roles under one name',
      { ...DEFAULT_SERVICE_USERNAMES, simulator: 'processor' },
      ['SIMULATOR_MQTT_USERNAME="processor": also PROCESSOR_MQTT_USERNAME'],
    ],
    [
      'a service named like a lamp',
      { ...DEFAULT_SERVICE_USERNAMES, admin: lampId },
      [`ADMIN_MQTT_USERNAME="${lampId}": a device of the inventory has this id`],
    ],
  ])('problems: %s', (_name, usernames, problems) => {
    expect(usernameProblems(usernames, (id) => registry.lamp(id) !== undefined)).toEqual(problems);
  });
});

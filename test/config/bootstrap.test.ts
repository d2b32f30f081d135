import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mosquittoAcl, mosquittoPasswords } from '../../services/broker/mosquittoExport.ts';
import { createDirectory } from '../../services/broker/policy.ts';
import { DEFAULT_SERVICE_USERNAMES } from '../../shared/auth/serviceAccounts.ts';
import { loadServiceRegistry } from '../../shared/bootstrap/inventory.ts';
import { labSecretOf, requireSecret } from '../../shared/bootstrap/secrets.ts';
import { ConfigError } from '../../shared/config.ts';
import { loadRegistry } from '../../shared/registry/index.ts';
import { surveyCsv } from '../bootstrap/survey.ts';

const shipped = loadRegistry();
const dir = mkdtempSync(join(tmpdir(), 'gadelys-bootstrap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the inventory every service starts with', () => {
  const model = shipped.models[0]!.id;
  const uploadedDir = join(dir, 'gateway');
  mkdirSync(uploadedDir);
  // Where the gateway saves an upload (services/gateway: savedInventoryPath).
  writeFileSync(join(uploadedDir, 'inventory.csv'), surveyCsv(model));
  const explicit = join(dir, 'explicit.csv');
  writeFileSync(explicit, surveyCsv(model).split('\n').slice(0, 2).join('\n'));

  it.each([
    [
      'the shipped route when nothing is set',
      { GATEWAY_DATA_DIR: join(dir, 'none') },
      shipped.lamps.length,
    ],
    ['an uploaded one from GATEWAY_DATA_DIR', { GATEWAY_DATA_DIR: uploadedDir }, 3],
    [
      'INVENTORY_PATH over an uploaded one',
      { GATEWAY_DATA_DIR: uploadedDir, INVENTORY_PATH: explicit },
      1,
    ],
  ])('%s', (_name, config, lamps) => {
    expect(loadServiceRegistry(config).lamps.length).toBe(lamps);
  });
});

describe('the route size every service reads (SIMULATOR_LAMPS)', () => {
  it('replicates the inventory for every service alike, so the broker knows the replicas', () => {
    const config = {
      GATEWAY_DATA_DIR: join(dir, 'none'),
      SIMULATOR_LAMPS: shipped.lamps.length + 20,
    };
    const registry = loadServiceRegistry(config);
    expect(registry.lamps.length).toBe(shipped.lamps.length + 20);
    const replica = `r2-${shipped.lamps[0]!.id}`;
    expect(createDirectory(registry).isLamp(replica)).toBe(true);
    expect(loadServiceRegistry({ ...config, SIMULATOR_LAMPS: 0 }).lamps.length).toBe(
      shipped.lamps.length,
    );
  });
});

describe('the lab secret', () => {
  it('is LAB_SECRET, or a fresh one per start', () => {
    expect(labSecretOf({ LAB_SECRET: 'set' })).toBe('set');
    expect(labSecretOf({})).not.toBe(labSecretOf({}));
  });

  it('is required of a standalone service unless an alternative is set', () => {
    expect(() => requireSecret('gateway', undefined, { GATEWAY_MQTT_PASSWORD: 'p' })).not.toThrow();
    expect(() => requireSecret('gateway', 's', { GATEWAY_MQTT_PASSWORD: undefined })).not.toThrow();
    expect(() => requireSecret('gateway', undefined, { GATEWAY_MQTT_PASSWORD: undefined })).toThrow(
      ConfigError,
    );
    expect(() => requireSecret('gateway', undefined, { GATEWAY_MQTT_PASSWORD: undefined })).toThrow(
      /LAB_SECRET=unset: set LAB_SECRET .* or GATEWAY_MQTT_PASSWORD/,
    );
  });
});

describe('the Mosquitto export', () => {
  it('names renamed service accounts as the broker knows them', () => {
    const usernames = { ...DEFAULT_SERVICE_USERNAMES, gateway: 'gw-east' };
    const acl = mosquittoAcl(shipped, usernames);
    expect(acl).toContain('\nuser gw-east\n');
    expect(acl).not.toContain('\nuser gateway\n');
    const passwd = mosquittoPasswords(shipped, () => 'p', usernames);
    expect(passwd).toMatch(/^gw-east:\$7\$/m);
    expect(passwd).not.toMatch(/^gateway:/m);
  });
});

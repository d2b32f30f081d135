/**
 * Issue and revoke device credentials (production). Only hashes are written (credentials.ts says
 * why SHA-256 suffices for a random secret); the secret is printed once. A running broker picks
 * the change up within a few seconds (it watches the file).
 *
 *   npx tsx services/broker/cli.ts issue DOLL-0042 [--file creds.json]
 *   npx tsx services/broker/cli.ts revoke DOLL-0042
 *   npx tsx services/broker/cli.ts list
 *   npx tsx services/broker/cli.ts issue-all --segment seg-03     (one line per device: id secret)
 *   LAB_SECRET=... npx tsx services/broker/cli.ts mosquitto --out DIR  (acl + passwd for Mosquitto 2)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deriveDevicePassword } from '../../shared/auth/deviceCredentials.ts';
import {
  mqttPasswordOf,
  roleOfUsername,
  type ServiceRole,
  serviceUsernames,
} from '../../shared/auth/serviceAccounts.ts';
import { loadServiceRegistry } from '../../shared/bootstrap/inventory.ts';
import { loadBrokerConfig } from './config.ts';
import { issue, readCredentials, revoke, writeCredentials } from './credentials.ts';
import { mosquittoAcl, mosquittoPasswords } from './mosquittoExport.ts';

const USAGE = `usage: cli.ts <issue|revoke|list|issue-all> [deviceId] [--file PATH] [--segment ID]
       cli.ts mosquitto --out DIR     (needs LAB_SECRET; <ROLE>_MQTT_PASSWORD override service passwords)
  --file defaults to $BROKER_CREDENTIALS_PATH`;

/** Write Mosquitto's acl and passwd files mirroring our policy, with lab-derived passwords. */
function exportMosquitto(out: string): number {
  const labSecret = process.env.LAB_SECRET;
  if (!labSecret) {
    console.error('mosquitto: LAB_SECRET is required (device passwords are derived from it)');
    return 2;
  }
  // The broker's own variables: the same inventory and service usernames as the services.
  const config = loadBrokerConfig();
  const registry = loadServiceRegistry(config);
  const usernames = serviceUsernames(config);
  const explicit: Record<ServiceRole, string | undefined> = {
    processor: config.PROCESSOR_MQTT_PASSWORD,
    gateway: config.GATEWAY_MQTT_PASSWORD,
    simulator: config.SIMULATOR_MQTT_PASSWORD,
    admin: config.ADMIN_MQTT_PASSWORD,
  };
  const passwordOf = (user: string) => {
    const role = roleOfUsername(usernames, user);
    return role
      ? (mqttPasswordOf(role, explicit[role], labSecret) as string)
      : deriveDevicePassword(labSecret, user);
  };
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'acl'), mosquittoAcl(registry, usernames), { mode: 0o600 });
  writeFileSync(join(out, 'passwd'), mosquittoPasswords(registry, passwordOf, usernames), {
    mode: 0o600,
  });
  console.log(`wrote ${join(out, 'acl')} and ${join(out, 'passwd')}`);
  return 0;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<number> {
  const [command, deviceId] = args;
  if (command === 'mosquitto') {
    const out = option(args, '--out');
    if (!out) {
      console.error(USAGE);
      return 2;
    }
    return exportMosquitto(out);
  }
  const path = option(args, '--file') ?? process.env.BROKER_CREDENTIALS_PATH;
  if (!command || !path) {
    console.error(USAGE);
    return 2;
  }
  const registry = loadServiceRegistry(loadBrokerConfig());
  const known = (id: string) =>
    registry.lamp(id) !== undefined || registry.segments.some((s) => s.controllerId === id);
  let file = readCredentials(path);
  switch (command) {
    case 'issue':
    case 'revoke': {
      if (!deviceId || deviceId.startsWith('--')) {
        console.error(USAGE);
        return 2;
      }
      if (!known(deviceId)) {
        console.error(`${deviceId} is neither a lamp nor a segment controller of the registry`);
        return 1;
      }
      if (command === 'revoke') {
        writeCredentials(path, revoke(file, deviceId));
        console.log(`revoked ${deviceId}`);
        return 0;
      }
      const issued = await issue(file, deviceId);
      writeCredentials(path, issued.file);
      console.log(`${deviceId} ${issued.secret}`);
      return 0;
    }
    case 'issue-all': {
      const segment = option(args, '--segment');
      const segments = registry.segments.filter((s) => !segment || s.id === segment);
      const ids = segments.flatMap((s) => [s.controllerId, ...s.lampIds]);
      for (const id of ids) {
        const issued = await issue(file, id);
        file = issued.file;
        console.log(`${id} ${issued.secret}`);
      }
      writeCredentials(path, file);
      return 0;
    }
    case 'list':
      for (const [id, e] of Object.entries(file.devices)) {
        console.log(`${id}\t${e.revokedAt ? `revoked ${e.revokedAt}` : `issued ${e.issuedAt}`}`);
      }
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

// An entry point like main.ts; exitCode lets pending output flush.
process.exitCode = await main(process.argv.slice(2));

/**
 * The same policy on Mosquitto 2: the files `cli.ts mosquitto` generates, loaded by Debian's
 * mosquitto, hold the agreed identity scheme for the platform's clients.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mosquittoAcl, mosquittoPasswords } from '../../services/broker/mosquittoExport.ts';
import { deriveDevicePassword } from '../../shared/auth/deviceCredentials.ts';
import {
  DEFAULT_SERVICE_USERNAMES,
  roleOfUsername,
  servicePassword,
} from '../../shared/auth/serviceAccounts.ts';
import { topics } from '../../shared/contract/index.ts';
import { loadRegistry } from '../../shared/registry/index.ts';
import { eventually } from '../helpers/eventually.ts';
import { type RunningMosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { collect } from './support.ts';

const registry = loadRegistry();
const labSecret = 'mosquitto-policy-test';
const dir = mkdtempSync(join(tmpdir(), 'gadelys-mosq-policy-'));
const passwordOf = (u: string) => {
  const role = roleOfUsername(DEFAULT_SERVICE_USERNAMES, u);
  return role ? servicePassword(role, labSecret) : deriveDevicePassword(labSecret, u);
};
const as = (username: string, clientId = username) => ({
  clientId,
  username,
  password: passwordOf(username),
  reconnectPeriod: 0,
});

let m: RunningMosquitto;
const clients: mqtt.MqttClient[] = [];
beforeAll(async () => {
  writeFileSync(join(dir, 'acl'), mosquittoAcl(registry));
  writeFileSync(join(dir, 'passwd'), mosquittoPasswords(registry, passwordOf));
  m = await startMosquitto({
    allowAnonymous: false,
    passwordFile: join(dir, 'passwd'),
    aclFile: join(dir, 'acl'),
    // The settings docs/broker.md recommends.
    config: ['max_packet_size 263168', 'max_queued_messages 1000000'],
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await m?.stop();
  rmSync(dir, { recursive: true, force: true });
});
const connect = async (opts: mqtt.IClientOptions) => {
  const c = await mqtt.connectAsync(m.url, opts);
  clients.push(c);
  return c;
};

describe('generated Mosquitto policy', () => {
  it('authenticates with lab-derived passwords and refuses a wrong one', async () => {
    await connect(as('DOLL-0001'));
    await expect(
      mqtt.connectAsync(m.url, { ...as('DOLL-0001'), password: 'wrong' }),
    ).rejects.toMatchObject({ code: 5 });
    await expect(
      mqtt.connectAsync(m.url, { clientId: 'x', reconnectPeriod: 0 }),
    ).rejects.toMatchObject({ code: 5 });
  });

  it("delivers a lamp's own telemetry and drops its publish on another lamp's topic", async () => {
    const processor = await connect(as('processor', 'processor-1'));
    await processor.subscribeAsync('gadelys/v1/lamp/+/telemetry', { qos: 1 });
    const got = collect(processor);
    const lamp = await connect(as('DOLL-0002'));
    await lamp.publishAsync(topics.telemetry('DOLL-0003'), '{"spoofed":true}', { qos: 1 });
    await lamp.publishAsync(topics.telemetry('DOLL-0002'), '{"genuine":true}', { qos: 1 });
    await eventually('genuine telemetry', () => got.length >= 1);
    expect(got.map((x) => x.payload)).toEqual(['{"genuine":true}']);
  });

  it('grants a lamp # (Mosquitto 2.0 checks reads on delivery) but delivers only its own commands', async () => {
    const lamp = await connect(as('DOLL-0004'));
    await lamp.subscribeAsync('#', { qos: 1 });
    const got = collect(lamp);
    const gateway = await connect(as('gateway', 'gateway-1'));
    await gateway.publishAsync(topics.command('DOLL-0005'), '{"level":10}', { qos: 1 });
    await gateway.publishAsync(topics.command('DOLL-0004'), '{"level":30}', { qos: 1 });
    await eventually('command', () => got.length >= 1);
    await gateway.publishAsync(topics.command('DOLL-0004'), '{"level":31}', { qos: 1 });
    await eventually('second command', () => got.length >= 2);
    expect(got.map((x) => x.topic)).toEqual([
      topics.command('DOLL-0004'),
      topics.command('DOLL-0004'),
    ]);
  });

  it("lets a controller publish its segment's batch and its lamps' status only", async () => {
    const seg = registry.segments[0]!;
    const gateway = await connect(as('gateway', 'gateway-2'));
    await gateway.subscribeAsync('gadelys/v1/#', { qos: 1 });
    const got = collect(gateway);
    const ctl = await connect(as(seg.controllerId));
    await ctl.publishAsync(topics.status(registry.segments[1]!.lampIds[0]!), '{}', { qos: 1 });
    await ctl.publishAsync(topics.status(seg.lampIds[0]!), '{}', { qos: 1 });
    await ctl.publishAsync(topics.batch(seg.id), '{}', { qos: 1 });
    await eventually('controller messages', () => got.length >= 2);
    expect(got.map((x) => x.topic)).toEqual([topics.status(seg.lampIds[0]!), topics.batch(seg.id)]);
  });
});

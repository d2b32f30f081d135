/**
 * The broker's answers to the attacks of issue 16: password guessing, probing for device ids,
 * retained garbage, status endpoints beside MQTT, connection floods from one address, and state
 * that strangers could make grow. Each attacker gets its own loopback address (127.0.0.N).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { issue, revoke, writeCredentials } from '../../services/broker/credentials.ts';
import { topics } from '../../shared/contract/index.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';
import { collect, connectFrom } from './support.ts';

let b: TestBroker | undefined;
const clients: mqtt.MqttClient[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await b?.stop();
  b = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const wrong = (id: string, clientId = id) => ({ clientId, username: id, password: 'guess' });

describe('failed MQTT logins', () => {
  it('lock an account after the allowed failures: its right password is refused with 5, except from an address it used before', async () => {
    b = await startTestBroker({
      env: {
        BROKER_AUTH_MAX_FAILURES: '3',
        BROKER_AUTH_MAX_FAILURES_PER_ADDRESS: '100',
        BROKER_AUTH_FAILURE_DELAY_MS: '1',
      },
    });
    const port = b.broker.port;
    const good = b.credentialsFor('DOLL-0001');
    expect((await connectFrom(port, '127.0.0.4', good)).code).toBe(0); // the lamp's own address
    const codes: number[] = [];
    for (let i = 0; i < 3; i++)
      codes.push((await connectFrom(port, '127.0.0.2', wrong('DOLL-0001'))).code);
    expect(codes).toEqual([4, 4, 4]);
    expect((await connectFrom(port, '127.0.0.2', good)).code).toBe(5);
    expect((await connectFrom(port, '127.0.0.3', good)).code).toBe(5);
    expect((await connectFrom(port, '127.0.0.4', good)).code).toBe(0);
    // Other accounts are not touched by this one's lock.
    expect((await connectFrom(port, '127.0.0.2', b.credentialsFor('DOLL-0002'))).code).toBe(0);
    expect(b.broker.stats().refusals.auth_throttled).toBe(2);
  });

  it('lock an address that sprays guesses over many accounts, the admin account included', async () => {
    b = await startTestBroker({
      env: {
        BROKER_AUTH_MAX_FAILURES: '100',
        BROKER_AUTH_MAX_FAILURES_PER_ADDRESS: '5',
        BROKER_AUTH_FAILURE_DELAY_MS: '1',
      },
    });
    const port = b.broker.port;
    const ids = ['DOLL-0001', 'DOLL-0002', 'DOLL-9998', 'admin', 'DOLL-0003'];
    for (const id of ids)
      expect((await connectFrom(port, '127.0.0.5', wrong(id, `${id}-x`))).code).toBe(4);
    expect((await connectFrom(port, '127.0.0.5', b.credentialsFor('admin'))).code).toBe(5);
    expect((await connectFrom(port, '127.0.0.5', b.credentialsFor('DOLL-0004'))).code).toBe(5);
    expect((await connectFrom(port, '127.0.0.6', b.credentialsFor('admin'))).code).toBe(0);
  });
});

describe('a stranger probing device ids', () => {
  it('gets the same code for an unknown id as for a known one, whatever the client id, revoked or not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gadelys-probe-'));
    dirs.push(dir);
    const path = join(dir, 'credentials.json');
    writeCredentials(
      path,
      revoke((await issue({ version: 1, devices: {} }, 'DOLL-0005')).file, 'DOLL-0005'),
    );
    b = await startTestBroker({
      env: {
        BROKER_CREDENTIALS_PATH: path,
        BROKER_AUTH_MAX_FAILURES: '0',
        BROKER_AUTH_MAX_FAILURES_PER_ADDRESS: '0',
      },
    });
    const port = b.broker.port;
    const probes = {
      unknownId: wrong('DOLL-9999'),
      knownId: wrong('DOLL-0001'),
      unknownUnderOtherClientId: wrong('DOLL-9999', 'x-1'),
      knownUnderOtherClientId: wrong('DOLL-0001', 'x-2'),
      serviceWithUnknownDeviceClientId: wrong('admin', 'DOLL-9999'),
      serviceWithKnownDeviceClientId: wrong('admin', 'DOLL-0001'),
      revoked: wrong('DOLL-0005'),
    };
    const codes: Record<string, number> = {};
    for (const [name, p] of Object.entries(probes))
      codes[name] = (await connectFrom(port, '127.0.0.7', p)).code;
    expect(codes).toEqual(Object.fromEntries(Object.keys(probes).map((k) => [k, 4])));
  });

  it('is answered no sooner for an unknown id than for a wrong password: both wait out the same backoff', async () => {
    b = await startTestBroker({
      env: { BROKER_AUTH_FAILURE_DELAY_MS: '150', BROKER_AUTH_MAX_FAILURES_PER_ADDRESS: '0' },
    });
    const port = b.broker.port;
    // First failure of each account: both answered 150 ms after the CONNECT, not when checked.
    const unknown = await connectFrom(port, '127.0.0.8', wrong('DOLL-9999'));
    const known = await connectFrom(port, '127.0.0.8', wrong('DOLL-0001'));
    expect([unknown.code, known.code]).toEqual([4, 4]);
    expect(unknown.ms).toBeGreaterThanOrEqual(145);
    expect(known.ms).toBeGreaterThanOrEqual(145);
  });
});

describe('retained messages', () => {
  it('refuses a retained status the contract does not decode, so new subscribers never receive it', async () => {
    b = await startTestBroker();
    const lamp = await mqtt.connectAsync(b.url, {
      ...b.credentialsFor('DOLL-0001'),
      reconnectPeriod: 0,
    });
    clients.push(lamp);
    // aedes closes a client whose publish is refused; the QoS1 promise may never settle.
    lamp.publish(topics.status('DOLL-0001'), 'not json at all', { qos: 1, retain: true });
    await eventually('refusal counted', () => b!.broker.stats().refusals.invalid_payload === 1);
    // A good retained status from another lamp still goes through.
    const again = await mqtt.connectAsync(b.url, {
      ...b.credentialsFor('DOLL-0002'),
      reconnectPeriod: 0,
    });
    clients.push(again);
    const good = JSON.stringify({ lampId: 'DOLL-0002', ts: Date.now(), state: 'online' });
    await again.publishAsync(topics.status('DOLL-0002'), good, { qos: 1, retain: true });

    const viewer = await mqtt.connectAsync(b.url, {
      ...b.credentialsFor('processor'),
      reconnectPeriod: 0,
    });
    clients.push(viewer);
    const got = collect(viewer);
    await viewer.subscribeAsync('gadelys/v1/lamp/+/status', { qos: 1 });
    await eventually('the good retained status', () => got.length >= 1);
    expect(got.map((m) => m.topic)).toEqual([topics.status('DOLL-0002')]);
  });
});

/**
 * The broker's answers to the attacks of issue 16: password guessing, probing for device ids,
 * retained garbage, status endpoints beside MQTT, connection floods from one address, and state
 * that strangers could make grow. Each attacker gets its own loopback address (127.0.0.N).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
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
    const lines: string[] = [];
    b = await startTestBroker({
      log: pino({ level: 'warn' }, { write: (l: string) => lines.push(l) }),
    });
    const lamp = await mqtt.connectAsync(b.url, {
      ...b.credentialsFor('DOLL-0001'),
      reconnectPeriod: 0,
    });
    clients.push(lamp);
    // aedes closes a client whose publish is refused; the QoS1 promise may never settle.
    lamp.publish(topics.status('DOLL-0001'), 'not json at all', { qos: 1, retain: true });
    await eventually('refusal counted', () => b!.broker.stats().refusals.invalid_payload === 1);
    const logged = lines.map((l) => JSON.parse(l) as { reason?: string; detail?: string });
    expect(logged.find((l) => l.reason === 'invalid_payload')?.detail).toMatch(
      /retained on gadelys\/v1\/lamp\/DOLL-0001\/status: not_json/,
    );
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

describe('status endpoints and connection limits', () => {
  const get = (url: string, token?: string) =>
    fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('serve /metrics and /health on their own address, not beside the MQTT listeners', async () => {
    b = await startTestBroker({ env: { BROKER_METRICS_HOST: '127.0.0.2' } });
    const port = b.broker.metricsPort;
    expect((await get(`http://127.0.0.2:${port}/health`)).status).toBe(200);
    await expect(get(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('want a bearer token when one is set, and refuse to start off loopback without one', async () => {
    await expect(startTestBroker({ env: { BROKER_METRICS_HOST: '0.0.0.0' } })).rejects.toThrow(
      /BROKER_METRICS_TOKEN/,
    );
    b = await startTestBroker({ env: { BROKER_METRICS_TOKEN: 'scrape-me' } });
    const base = `http://127.0.0.1:${b.broker.metricsPort}`;
    expect((await get(`${base}/metrics`)).status).toBe(401);
    expect((await get(`${base}/health`, 'wrong')).status).toBe(401);
    const ok = await get(`${base}/metrics`, 'scrape-me');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('gadelys_broker_refusals_total');
  });

  it('cap open connections and the connect rate per address, leaving other addresses alone', async () => {
    b = await startTestBroker({
      env: {
        BROKER_MAX_CONNECTIONS_PER_ADDRESS: '2',
        BROKER_CONNECT_RATE_PER_ADDRESS: '0.001',
        BROKER_CONNECT_BURST_PER_ADDRESS: '3',
      },
    });
    const open = async (from: string, id: string) => {
      const c = new mqtt.MqttClient(
        () => createConnection({ host: '127.0.0.1', port: b!.broker.port, localAddress: from }),
        { ...b!.credentialsFor(id), protocolVersion: 4, reconnectPeriod: 0 },
      );
      clients.push(c);
      return new Promise<boolean>((resolve) => {
        c.once('connect', () => resolve(true));
        c.once('close', () => resolve(false));
      });
    };
    expect(await open('127.0.0.9', 'DOLL-0001')).toBe(true);
    expect(await open('127.0.0.9', 'DOLL-0002')).toBe(true);
    expect(await open('127.0.0.9', 'DOLL-0003')).toBe(false); // third open at once
    await clients[0]!.endAsync();
    await eventually('a slot free', () => b!.broker.stats().connections.tcp === 1);
    expect(await open('127.0.0.9', 'DOLL-0004')).toBe(true); // burst of 3 spent
    await clients[1]!.endAsync();
    await eventually('a slot free', () => b!.broker.stats().connections.tcp === 1);
    expect(await open('127.0.0.9', 'DOLL-0005')).toBe(false); // too fast, though a slot is free
    expect(await open('127.0.0.10', 'DOLL-0006')).toBe(true);
    expect(await open('127.0.0.1', 'DOLL-0007')).toBe(true); // loopback is exempt by default
    expect(b.broker.stats().refusals.address_limit).toBe(2);
  });
});

describe('state keyed by what strangers send', () => {
  it('shrinks back once many distinct attackers are gone, and never tracks made-up lamps', async () => {
    let clock = Date.now();
    b = await startTestBroker({
      now: () => clock,
      env: {
        BROKER_AUTH_FAILURE_DELAY_MS: '0',
        BROKER_AUTH_MAX_FAILURES_PER_ADDRESS: '1000',
      },
    });
    const port = b.broker.port;
    // 200 attackers: each its own username and client id, from 20 addresses.
    for (let i = 0; i < 200; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, a) =>
          connectFrom(port, `127.0.1.${a + 1}`, wrong(`intruder-${i + a}`, `probe-${i + a}`)),
        ),
      );
    }
    const during = b.broker.tracked();
    expect(during['authFailures.accounts']).toBe(200);
    expect(during['authFailures.addresses']).toBe(20);
    expect(during.addressLimits).toBe(20);

    // An admin announcing 500 lamps the registry does not have.
    const admin = await mqtt.connectAsync(b.url, {
      ...b.credentialsFor('admin'),
      reconnectPeriod: 0,
    });
    clients.push(admin);
    for (let i = 0; i < 500; i++) {
      const id = `GHOST-${i}`;
      admin.publish(topics.status(id), JSON.stringify({ lampId: id, ts: clock, state: 'online' }));
    }
    const real = JSON.stringify({ lampId: 'DOLL-0001', ts: clock, state: 'online' });
    await admin.publishAsync(topics.status('DOLL-0001'), real, { qos: 1 });
    await eventually('the real lamp counted', () => b!.broker.stats().lampsOnline === 1);

    // A window and a cool-down later, one more stranger: the old entries are swept.
    clock += 10 * 60_000;
    await connectFrom(port, '127.0.2.1', wrong('intruder-last'));
    const after = b.broker.tracked();
    expect(after['authFailures.accounts']).toBe(1);
    expect(after['authFailures.addresses']).toBe(1);
    expect(after.addressLimits).toBeLessThanOrEqual(2);
    expect(after.lampState).toBe(1);
  });
});

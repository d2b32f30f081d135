import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { topics } from '../../shared/contract/index.ts';
import { startTestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { closed, collect, run } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'gadelys-broker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('transports and lifecycle', () => {
  it('speaks MQTT over TLS and WebSocket over TLS from cert and key files', async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const b = await startTestBroker({
      env: { BROKER_TLS_CERT_PATH: cert, BROKER_TLS_KEY_PATH: key },
    });
    try {
      expect(b.broker.tlsPort).toBeGreaterThan(0);
      const lamp = await mqtt.connectAsync(`mqtts://127.0.0.1:${b.broker.tlsPort}`, {
        ...b.credentialsFor('DOLL-0001'),
        reconnectPeriod: 0,
        ca: cert,
        rejectUnauthorized: false,
      });
      await lamp.publishAsync(topics.telemetry('DOLL-0001'), '{}', { qos: 1 });
      expect(b.broker.stats().connections.tls).toBe(1);
      await lamp.endAsync();

      // The WebSocket listener uses the same files: wss:// works, plain ws:// does not.
      expect(b.broker.wsUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/mqtt$/);
      const browser = await mqtt.connectAsync(b.broker.wsUrl, {
        ...b.credentialsFor('DOLL-0002'),
        reconnectPeriod: 0,
        rejectUnauthorized: false,
      });
      await browser.publishAsync(topics.telemetry('DOLL-0002'), '{}', { qos: 1 });
      expect(b.broker.stats().connections.ws).toBe(1);
      await browser.endAsync();
      await expect(
        mqtt.connectAsync(b.broker.wsUrl.replace('wss:', 'ws:'), {
          ...b.credentialsFor('DOLL-0002'),
          reconnectPeriod: 0,
          connectTimeout: 2_000,
        }),
      ).rejects.toThrow();
    } finally {
      await b.stop();
    }
    // Behind a proxy that terminates TLS: plain ws:// on request.
    const behindProxy = await startTestBroker({
      env: { BROKER_TLS_CERT_PATH: cert, BROKER_TLS_KEY_PATH: key, BROKER_WS_TLS: 'false' },
    });
    try {
      expect(behindProxy.broker.wsUrl).toMatch(/^ws:\/\//);
      const c = await mqtt.connectAsync(behindProxy.broker.wsUrl, {
        ...behindProxy.credentialsFor('DOLL-0003'),
        reconnectPeriod: 0,
      });
      await c.endAsync();
    } finally {
      await behindProxy.stop();
    }
  });

  it('stops gracefully: health says stopping, clients are closed, ports are released', async () => {
    const b = await startTestBroker();
    const lamp = await mqtt.connectAsync(b.url, {
      ...b.credentialsFor('DOLL-0001'),
      reconnectPeriod: 0,
    });
    const gone = closed(lamp);
    await b.stop();
    await gone;
    await expect(fetch(`http://127.0.0.1:${b.broker.metricsPort}/health`)).rejects.toThrow();
    await expect(
      mqtt.connectAsync(b.url, {
        ...b.credentialsFor('DOLL-0001'),
        reconnectPeriod: 0,
        connectTimeout: 2_000,
      }),
    ).rejects.toThrow();
    await b.stop(); // idempotent
  });

  it('issues and revokes device credentials with the CLI; the running broker follows the file', async () => {
    const file = join(dir, 'credentials.json');
    const cli = (...args: string[]) =>
      run('npx', ['tsx', 'services/broker/cli.ts', ...args, '--file', file]);
    const issued = await cli('issue', 'DOLL-0042');
    expect(issued.code).toBe(0);
    const [id, secret] = issued.stdout.trim().split(' ');
    expect(id).toBe('DOLL-0042');
    expect((await cli('issue', 'NOT-A-LAMP')).code).toBe(1);

    const b = await startTestBroker({
      env: { BROKER_CREDENTIALS_PATH: file, BROKER_ACCEPT_DERIVED: 'false' },
    });
    try {
      const derived = mqtt.connectAsync(b.url, {
        ...b.credentialsFor('DOLL-0042'),
        reconnectPeriod: 0,
      });
      await expect(derived).rejects.toMatchObject({ code: 4 });
      const lamp = await mqtt.connectAsync(b.url, {
        clientId: 'DOLL-0042',
        username: 'DOLL-0042',
        password: secret!,
        reconnectPeriod: 0,
      });
      await lamp.endAsync();

      expect((await cli('revoke', 'DOLL-0042')).code).toBe(0);
      b.broker.reloadCredentials(); // the file watcher would do it within 2 s
      const revoked = mqtt.connectAsync(b.url, {
        clientId: 'DOLL-0042',
        username: 'DOLL-0042',
        password: secret!,
        reconnectPeriod: 0,
      });
      // Code 4, as for a wrong password: a distinct code would tell strangers the id exists.
      await expect(revoked).rejects.toMatchObject({ code: 4 });
      expect(b.broker.stats().refusals.revoked).toBe(1);
    } finally {
      await b.stop();
    }
  });

  it('fails to start, naming the cause, on a taken port or half a TLS configuration', async () => {
    const a = await startTestBroker();
    try {
      await expect(
        startTestBroker({ env: { MQTT_PORT: String(a.broker.port) } }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
      await expect(
        startTestBroker({ env: { BROKER_METRICS_PORT: String(a.broker.metricsPort) } }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
      await expect(
        startTestBroker({ env: { BROKER_TLS_CERT_PATH: '/nonexistent.pem' } }),
      ).rejects.toThrow(/both/);
    } finally {
      await a.stop();
    }
  });

  it('lets anonymous clients in only with the development switch', async () => {
    const strict = await startTestBroker();
    try {
      await expect(mqtt.connectAsync(strict.url, { reconnectPeriod: 0 })).rejects.toThrow();
    } finally {
      await strict.stop();
    }
    const b = await startTestBroker({ env: { BROKER_ALLOW_ANONYMOUS: 'true' } });
    try {
      const anon = await mqtt.connectAsync(b.url, { reconnectPeriod: 0 });
      expect(anon.connected).toBe(true);
      await anon.endAsync();
    } finally {
      await b.stop();
    }
  });
});

describe('test helper: Debian mosquitto', () => {
  it('starts on a free port, routes a message, and stops by PID', async () => {
    const m = await startMosquitto({ websockets: true });
    try {
      const sub = await mqtt.connectAsync(m.url, { reconnectPeriod: 0 });
      await sub.subscribeAsync('gadelys/v1/lamp/+/telemetry', { qos: 1 });
      const got = collect(sub);
      const pub = await mqtt.connectAsync(m.wsUrl, { reconnectPeriod: 0 });
      await pub.publishAsync(topics.telemetry('DOLL-0001'), '{}', { qos: 1 });
      await eventually('message through mosquitto', () => got.length === 1);
      await Promise.all([sub.endAsync(), pub.endAsync()]);
    } finally {
      await m.stop();
    }
    expect(() => process.kill(m.pid, 0)).toThrow();
  });
});

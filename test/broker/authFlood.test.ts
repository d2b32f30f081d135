/**
 * Wrong passwords must not starve the rest of the process. The lab runs broker, gateway and
 * processor in one process, sharing libuv's four-thread pool; a gateway login is a scrypt run on
 * that pool. Here 50 parallel strangers keep trying wrong passwords against lamps whose issued
 * credentials are older scrypt hashes (the worst case: a SHA-256 hash costs no pool time at all),
 * while gateway logins are timed. The figure is a ratio against the same logins without the
 * flood, in the same run, because the machine is shared.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { hashSecret, writeCredentials } from '../../services/broker/credentials.ts';
import { hashPassword, verifyPassword } from '../../services/gateway/auth/passwords.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { connectFrom } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'gadelys-flood-'));
let b: TestBroker | undefined;
afterAll(async () => {
  await b?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Median time of `rounds` logins of four users at once, as a busy gateway would see them. */
async function loginTime(stored: string, rounds: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    const ok = await Promise.all(Array.from({ length: 4 }, () => verifyPassword('pw', stored)));
    expect(ok.every(Boolean)).toBe(true);
    times.push(performance.now() - started);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)]!;
}

it('keeps gateway logins fast while 50 strangers flood wrong MQTT passwords', async () => {
  // One scrypt hash shared by 50 lamps: the broker checks each attempt against it.
  const legacy = await hashSecret('the real secret');
  const ids = Array.from({ length: 50 }, (_, i) => `DOLL-${String(i + 1).padStart(4, '0')}`);
  const path = join(dir, 'credentials.json');
  writeCredentials(path, {
    version: 1,
    devices: Object.fromEntries(ids.map((id) => [id, { hash: legacy, issuedAt: 'then' }])),
  });
  // Throttling off: this test is about the cost of one check, not about how many get checked.
  b = await startTestBroker({
    env: {
      BROKER_CREDENTIALS_PATH: path,
      BROKER_AUTH_MAX_FAILURES: '0',
      BROKER_AUTH_MAX_FAILURES_PER_ADDRESS: '0',
      BROKER_AUTH_FAILURE_DELAY_MS: '0',
      BROKER_CONNECT_RATE_PER_ADDRESS: '0',
    },
  });
  const stored = await hashPassword('pw');
  const idle = await loginTime(stored, 3);

  let flooding = true;
  let attempts = 0;
  const codes = new Map<number, number>();
  const port = b.broker.port;
  const stranger = async (id: string, n: number) => {
    while (flooding) {
      const { code } = await connectFrom(port, `127.0.3.${(n % 200) + 1}`, {
        clientId: id,
        username: id,
        password: `guess ${attempts++}`,
      });
      codes.set(code, (codes.get(code) ?? 0) + 1);
      // About the pace: 50 in parallel, each waiting for its answer plus a little.
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const flood = ids.map((id, n) => stranger(id, n));
  await new Promise((r) => setTimeout(r, 500)); // let the flood build up
  const underFlood = await loginTime(stored, 3);
  flooding = false;
  await Promise.all(flood);

  // Every guess was refused: 4 when scrypt ran and said no, 3 when the capped queue was full.
  expect([...codes.keys()].every((c) => c === 3 || c === 4)).toBe(true);
  expect(attempts).toBeGreaterThan(50);
  // Measured here (load 19 on 2 cores): 13x slower before the cap (50 scrypt runs queued ahead
  // of each login), 1.8x after. Generous: 4x.
  expect(underFlood / idle).toBeLessThan(4);
}, 180_000);

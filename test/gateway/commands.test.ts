import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually } from '../helpers/eventually.ts';
import { type Harness, startHarness, startLamp, type TestLamp } from './harness.ts';

let h: Harness;
const lamps: TestLamp[] = [];
beforeAll(async () => {
  h = await startHarness({ env: { GATEWAY_COMMANDS_PER_MINUTE: '8' } });
});
afterAll(async () => {
  for (const l of lamps) await l.stop();
  await h?.stop();
});

async function finished(commandId: string) {
  return eventually(`command ${commandId} to finish`, async () => {
    const s = await h.api('GET', `/api/commands/${commandId}`, { token: h.tokens.viewer });
    return s.json.command.status !== 'pending' ? s.json : undefined;
  });
}

test('a command to one lamp is acked, with its round-trip time', async () => {
  const lamp = await startLamp(h, 'DOLL-0001');
  lamps.push(lamp);
  const r = await h.api('POST', '/api/commands', {
    token: h.tokens.operator,
    body: {
      target: { kind: 'lamp', lampId: 'DOLL-0001' },
      action: { type: 'override', level: 30, rampMs: 500 },
    },
  });
  expect(r.status, r.text).toBe(202);
  expect(r.json.command.status).toBe('pending');
  const done = await finished(r.json.command.commandId);
  expect(done.command.status).toBe('acked');
  expect(done.command.counts).toEqual({ pending: 0, acked: 1, rejected: 0, timedOut: 0 });
  expect(done.lamps).toEqual([
    expect.objectContaining({ lampId: 'DOLL-0001', state: 'acked', attempts: 1, actualLevel: 30 }),
  ]);
  expect(done.command.rttMs.p50).toBeGreaterThanOrEqual(0);
  // the lamp got the contract's command, stamped by the gateway
  expect(lamp.received.at(-1)).toMatchObject({
    type: 'override',
    level: 30,
    rampMs: 500,
    issuedBy: 'operator',
  });
});

test('a segment command with dead lamps reports partial timeouts after one resend', async () => {
  const segment = h.broker.registry.segments[1]!;
  const alive = segment.lampIds.filter((_, i) => i % 2 === 0);
  const dead = segment.lampIds.filter((_, i) => i % 2 === 1);
  for (const id of alive) lamps.push(await startLamp(h, id));
  const r = await h.api('POST', '/api/commands', {
    token: h.tokens.operator,
    body: {
      target: { kind: 'segment', segmentId: segment.id },
      action: { type: 'override', level: 10 },
    },
  });
  expect(r.status, r.text).toBe(202);
  expect(r.json.command.lampCount).toBe(segment.lampIds.length);
  const done = await finished(r.json.command.commandId);
  expect(done.command.status).toBe('partial');
  expect(done.command.counts).toEqual({
    pending: 0,
    acked: alive.length,
    rejected: 0,
    timedOut: dead.length,
  });
  for (const l of done.lamps) {
    if (dead.includes(l.lampId)) expect(l).toMatchObject({ state: 'timedOut', attempts: 2 });
    else expect(l).toMatchObject({ state: 'acked', attempts: 1 });
  }
  // audit: who, what, how many lamps, outcome; queryable and on disk
  const audit = await h.api('GET', `/api/audit?subject=${r.json.command.commandId}`, {
    token: h.tokens.operator,
  });
  const actions = audit.json.entries.map((e: { action: string }) => e.action).sort();
  expect(actions).toEqual(['command.completed', 'command.issued']);
  const completed = audit.json.entries.find(
    (e: { action: string }) => e.action === 'command.completed',
  );
  expect(completed).toMatchObject({
    actor: 'operator',
    lampCount: segment.lampIds.length,
    outcome: 'partial',
  });
  const issued = audit.json.entries.find((e: { action: string }) => e.action === 'command.issued');
  expect(issued.detail.target).toEqual({ kind: 'segment', segmentId: segment.id });
  await h.gateway.context.audit.flush();
  const onDisk = await readFile(join(h.dataDir, 'audit.jsonl'), 'utf8');
  expect(onDisk).toContain(`"subject":"${r.json.command.commandId}"`);
  const list = await h.api('GET', '/api/commands?status=partial', { token: h.tokens.viewer });
  expect(list.json.commands.map((c: { commandId: string }) => c.commandId)).toContain(
    r.json.command.commandId,
  );
});

test('a rejected ack is reported as rejected with the reason', async () => {
  const id = 'DOLL-0002';
  const { default: mqtt } = await import('mqtt');
  const client = await mqtt.connectAsync(h.broker.url, {
    ...h.broker.credentialsFor(id),
    protocolVersion: 4,
  });
  client.on('message', (_t, payload) => {
    const cmd = JSON.parse(payload.toString());
    client.publish(
      `gadelys/v1/lamp/${id}/ack`,
      JSON.stringify({
        commandId: cmd.commandId,
        lampId: id,
        ts: Date.now(),
        status: 'rejected',
        reason: 'below the driver minimum',
      }),
    );
  });
  await client.subscribeAsync(`gadelys/v1/lamp/${id}/cmd`, { qos: 1 });
  const r = await h.api('POST', '/api/commands', {
    token: h.tokens.operator,
    body: { target: { kind: 'lamp', lampId: id }, action: { type: 'override', level: 1 } },
  });
  const done = await finished(r.json.command.commandId);
  expect(done.command.status).toBe('rejected');
  expect(done.lamps[0]).toMatchObject({ state: 'rejected', reason: 'below the driver minimum' });
  await client.endAsync();
});

test('bad commands: 400 with the zod paths, 404 for unknown targets', async () => {
  const bad = await h.api('POST', '/api/commands', {
    token: h.tokens.admin,
    body: {
      target: { kind: 'lamp', lampId: 'DOLL-0001' },
      action: { type: 'override', level: 150 },
    },
  });
  expect(bad.status).toBe(400);
  expect(bad.json.issues).toEqual([expect.objectContaining({ path: 'action.level' })]);
  const unknown = await h.api('POST', '/api/commands', {
    token: h.tokens.admin,
    body: {
      target: { kind: 'segment', segmentId: 'no-such-segment' },
      action: { type: 'release' },
    },
  });
  expect(unknown.status).toBe(404);
  const notJson = await h.api('POST', '/api/commands', {
    token: h.tokens.admin,
    raw: '{"target":',
  });
  expect(notJson.status).toBe(400);
  expect(notJson.text).not.toContain('SyntaxError');
});

test('commands are rate limited per user with 429 and Retry-After', async () => {
  let limited: Awaited<ReturnType<Harness['api']>> | undefined;
  for (let i = 0; i < 12 && !limited; i++) {
    const r = await h.api('POST', '/api/commands', {
      token: h.tokens.admin,
      body: { target: { kind: 'lamp', lampId: 'DOLL-0001' }, action: { type: 'release' } },
    });
    if (r.status === 429) limited = r;
    else expect(r.status).toBe(202);
  }
  expect(limited?.status).toBe(429);
  expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
  // another user's bucket is untouched
  const other = await h.api('POST', '/api/commands', {
    token: h.tokens.operator,
    body: { target: { kind: 'lamp', lampId: 'DOLL-0001' }, action: { type: 'release' } },
  });
  expect(other.status).toBe(202);
});

test('a program is created, assigned to a segment, delivered over MQTT and audited', async () => {
  const segment = h.broker.registry.segments[1]!;
  const program = {
    id: 'lejre',
    name: 'Lejre',
    steps: [
      { at: { kind: 'astro', event: 'sunset', offsetMin: 0 }, level: 100 },
      { at: { kind: 'fixed', time: '22:00' }, level: 50 },
      { at: { kind: 'fixed', time: '01:30' }, level: 10 },
    ],
    presence: { level: 100, holdS: 60 },
  };
  expect(
    (await h.api('POST', '/api/programs', { token: h.tokens.operator, body: program })).status,
  ).toBe(201);
  expect(
    (await h.api('POST', '/api/programs', { token: h.tokens.operator, body: program })).status,
  ).toBe(409);
  const assign = await h.api('POST', '/api/programs/lejre/assign', {
    token: h.tokens.operator,
    body: { segmentIds: [segment.id] },
  });
  expect(assign.status, assign.text).toBe(202);
  const alive = lamps.find((l) => l.id === segment.lampIds[0])!;
  await eventually('program delivery', () =>
    alive.received.find((c) => c.type === 'assignProgram'),
  );
  expect(alive.received.find((c) => c.type === 'assignProgram')).toMatchObject({
    program: { id: 'lejre', presence: { lookAhead: 3 } },
  });
  const audit = await h.api('GET', '/api/audit?subject=lejre', { token: h.tokens.admin });
  expect(audit.json.entries.map((e: { action: string }) => e.action).sort()).toEqual([
    'program.assigned',
    'program.created',
  ]);
  expect(
    audit.json.entries.find((e: { action: string }) => e.action === 'program.assigned').lampCount,
  ).toBe(segment.lampIds.length);
});

test('an edit refused by the rate limit is not saved (the lamps would never get it)', async () => {
  const segment = h.broker.registry.segments[2]!;
  const program = {
    id: 'edit-me',
    name: 'Before',
    steps: [{ at: { kind: 'fixed', time: '22:00' }, level: 50 }],
  };
  expect(
    (await h.api('POST', '/api/programs', { token: h.tokens.operator, body: program })).status,
  ).toBe(201);
  const assign = await h.api('POST', '/api/programs/edit-me/assign', {
    token: h.tokens.operator,
    body: { segmentIds: [segment.id] },
  });
  expect(assign.status, assign.text).toBe(202);
  // The admin's command budget was spent by the rate-limit test above.
  let edit: Awaited<ReturnType<Harness['api']>> | undefined;
  for (let i = 0; i < 70 && edit?.status !== 429; i++) {
    edit = await h.api('PUT', '/api/programs/edit-me', {
      token: h.tokens.admin,
      body: { ...program, name: `After ${i}` },
    });
  }
  expect(edit?.status).toBe(429);
  const list = await h.api('GET', '/api/programs', { token: h.tokens.admin });
  const stored = (list.json.programs as { id: string; name: string }[]).find(
    (p) => p.id === 'edit-me',
  );
  // The last accepted edit (if any got through before the limit) is stored, the refused one not.
  const accepted = await h.api('GET', '/api/audit?subject=edit-me&action=program.updated', {
    token: h.tokens.admin,
  });
  const lastAccepted = accepted.json.entries.length;
  expect(stored?.name).toBe(lastAccepted === 0 ? 'Before' : `After ${lastAccepted - 1}`);
});

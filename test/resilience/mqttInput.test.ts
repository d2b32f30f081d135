/**
 * Bad input over MQTT, through the real broker, processor and store (aedes with auth, the
 * processor in this process, DuckDB on disk): invalid messages of every kind the contract
 * refuses, interleaved one for one with valid ones (10,000 each under test:resilience, 1,000 in
 * the main test command). Every valid reading is stored once, every invalid message is rejected
 * under the code it was built to fail with (the processor's counters) and dead-lettered with a
 * reason, nothing disconnects, the processor stays healthy and its heap flat. Then arbitrary
 * topics and payloads, one at a time: each is taken in, accepted or rejected, never dropped.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProcessor, startProcessor } from '../../services/processor/processor.ts';
import { DeadLetter } from '../../shared/contract/alarms.ts';
import type { RejectCode } from '../../shared/contract/decode.ts';
import { LIMITS } from '../../shared/contract/limits.ts';
import { filters, TOPIC_ROOT, topics } from '../../shared/contract/topics.ts';
import { silentLogger } from '../../shared/log.ts';
import { startTestBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/eventually.ts';
import { baseTime, connect, processorConfig, processorEnv, reading } from '../processor/harness.ts';
import { heapAfterGc, MB, params, runs, SEED, timeoutMs } from './fuzz.ts';
import { recordCounts } from './report.ts';

let broker: TestBroker;
let processor: RunningProcessor;
let simulator: MqttClient;
let admin: MqttClient;
let watcher: MqttClient;
let env: Record<string, string>;
const deadLetters: DeadLetter[] = [];

beforeAll(async () => {
  broker = await startTestBroker({
    env: { BROKER_DEVICE_PUBLISH_RATE: '0', BROKER_SERVICE_PUBLISH_RATE: '0' },
  });
  env = processorEnv(broker, { STORE: 'duckdb', LOG_LEVEL: 'silent' });
  env.DUCKDB_PATH = join(env.SPOOL_DIR!, 'fuzz.duckdb');
  processor = await startProcessor(processorConfig(env), {
    registry: broker.registry,
    log: silentLogger,
  });
  watcher = await connect(broker, 'gateway');
  watcher.on('message', (_t, payload) => {
    deadLetters.push(DeadLetter.parse(JSON.parse(payload.toString())));
  });
  await watcher.subscribeAsync(filters.deadLetter, { qos: 1 });
  simulator = await connect(broker, 'simulator');
  admin = await connect(broker, 'admin');
});

afterAll(async () => {
  await Promise.all([simulator, admin, watcher].map((c) => c?.endAsync()));
  await processor?.stop();
  await broker?.stop();
  if (env?.SPOOL_DIR) rmSync(env.SPOOL_DIR, { recursive: true, force: true });
});

/** Messages the processor has taken in: accepted (by kind) plus rejected (by code). */
async function takenIn(): Promise<{ accepted: number; rejected: Record<string, number> }> {
  const accepted = (await processor.metrics.messages.get()).values.reduce((n, v) => n + v.value, 0);
  const rejected: Record<string, number> = {};
  for (const v of (await processor.metrics.rejected.get()).values)
    rejected[String(v.labels.code)] = v.value;
  return { accepted, rejected };
}
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

interface Message {
  via: 'simulator' | 'admin';
  topic: string;
  payload: string;
  /** The code it must be rejected with; absent for a valid message. */
  code?: RejectCode;
}

describe('10,000 invalid messages among 10,000 valid ones', () => {
  it(
    'stores every valid reading once and rejects every invalid message under its code',
    async () => {
      const { registry } = broker;
      const lamps = registry.lamps;
      const t0 = baseTime();
      const now = Date.now();
      const next = new Map<string, number>();
      /** The lamp's next reading: one a second from t0, activePower 1000 + its index. */
      const nextReading = (lampId: string) => {
        const i = next.get(lampId) ?? 0;
        next.set(lampId, i + 1);
        return reading(lampId, i, t0);
      };
      const lampArb = fc.constantFrom(...lamps.map((l) => l.id));
      const fields = Object.keys(reading('x', 0, 0)).filter((k) => k !== 'lampId');
      const required = fields.filter((k) => k !== 'illuminance' && k !== 'presenceCount');
      const junk = fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.integer(), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
      );
      const outOfRange = fc.oneof(
        fc.double({ min: 1e9, max: 1e15, noNaN: true }),
        fc.double({ min: -1e15, max: -61, noNaN: true }),
      );
      /** A reading of `id` (ts a little after t0) whose one defect is what the arbitrary adds. */
      const base = (id: string) => reading(id, 0, t0 - 60_000);
      const invalid: fc.Arbitrary<Message> = fc.oneof(
        // not JSON at all: a truncated reading, or text
        fc
          .tuple(lampArb, fc.integer({ min: 1, max: 150 }), fc.string({ maxLength: 30 }))
          .map(([id, cut, tail]) => ({
            text: JSON.stringify(base(id)).slice(0, cut) + tail,
            id,
          }))
          .filter(({ text }) => {
            try {
              JSON.parse(text);
              return false;
            } catch {
              return true;
            }
          })
          .map(({ text, id }) => ({
            via: 'simulator' as const,
            topic: topics.telemetry(id),
            payload: text,
            code: 'not_json' as const,
          })),
        // one field of the wrong type, out of range, missing, or one field too many
        fc
          .tuple(
            lampArb,
            fc.oneof(
              fc.tuple(fc.constantFrom(...fields), fc.oneof(junk, outOfRange)),
              fc.tuple(fc.constantFrom(...required), fc.constant(undefined)),
              fc.tuple(
                // (`__proto__` is no own key: assigning it changes nothing, the reading stays valid)
                fc
                  .string({ minLength: 1, maxLength: 10 })
                  .filter((k) => !fields.includes(k) && k !== '__proto__'),
                fc.integer(),
              ),
            ),
          )
          .map(([id, [key, value]]) => {
            const r: Record<string, unknown> = { ...base(id) };
            if (value === undefined) delete r[key];
            else r[key] = value;
            return {
              via: 'simulator' as const,
              topic: topics.telemetry(id),
              payload: JSON.stringify(r),
              code: 'schema' as const,
            };
          }),
        // an event or a status of a kind the contract does not have
        fc.tuple(lampArb, fc.string({ maxLength: 12 })).map(([id, type]) => ({
          via: 'simulator' as const,
          topic: topics.event(id),
          payload: JSON.stringify({ lampId: id, ts: now, type: `x${type}`, active: true }),
          code: 'schema' as const,
        })),
        // another lamp's reading on this lamp's topic
        fc
          .tuple(lampArb, lampArb)
          .filter(([a, b]) => a !== b)
          .map(([a, b]) => ({
            via: 'simulator' as const,
            topic: topics.telemetry(a),
            payload: JSON.stringify(base(b)),
            code: 'topic_mismatch' as const,
          })),
        // a device clock far ahead, or older than the spool keeps
        fc
          .tuple(
            lampArb,
            fc.oneof(
              fc.integer({ min: LIMITS.maxFutureSkewMs + 60_000, max: 365 * 86_400_000 }),
              fc.integer({ min: -365 * 86_400_000, max: -(LIMITS.maxPastSkewMs + 86_400_000) }),
            ),
          )
          .map(([id, skew]) => ({
            via: 'simulator' as const,
            topic: topics.telemetry(id),
            payload: JSON.stringify({ ...base(id), ts: now + skew }),
            code: 'clock_skew' as const,
          })),
        // a segment batch with a reading of a lamp from another segment (a forged batch)
        fc
          .tuple(fc.constantFrom(...registry.segments), lampArb)
          .filter(([s, id]) => registry.lamp(id)!.segmentId !== s.id)
          .map(([s, stranger]) => ({
            via: 'simulator' as const,
            topic: topics.batch(s.id),
            payload: JSON.stringify({
              segmentId: s.id,
              controllerId: s.controllerId,
              ts: t0,
              readings: [base(s.lampIds[0]!), base(stranger)],
            }),
            code: 'unknown_lamp' as const,
          })),
        // a well-formed id the registry does not know (the admin account may publish anywhere)
        fc.stringMatching(/^ZZ-[0-9]{1,6}$/).map((id) => ({
          via: 'admin' as const,
          topic: topics.telemetry(id),
          payload: JSON.stringify(base(id)),
          code: 'unknown_lamp' as const,
        })),
        // a topic level that is no id at all
        fc.stringMatching(/^[ !"$%&'()*,;<=>?@[\]^`{|}~][ -~]{0,10}$/).map((level) => ({
          via: 'admin' as const,
          topic: `${TOPIC_ROOT}/lamp/${level.replace(/[+#/]/g, '!')}/telemetry`,
          payload: '{}',
          code: 'unknown_topic' as const,
        })),
      );

      const n = runs(1_000, 10_000);
      const bad = fc.sample(invalid, { seed: SEED, numRuns: n });
      const rounds = 4;
      const perRound = Math.ceil(n / rounds);
      const expected = new Map<string, { n: number; power: number }>();
      const expectedCodes: Record<string, number> = {};
      let validMessages = 0;
      let validReadings = 0;
      const heap: number[] = [];
      const started = performance.now();
      const before = await takenIn();

      for (let round = 0; round < rounds; round++) {
        const messages: Message[] = [];
        for (let k = round * perRound; k < Math.min(n, (round + 1) * perRound); k++) {
          // valid: a reading of a lamp, and every tenth a whole segment's batch
          if (k % 10 === 9) {
            const seg = registry.segments[k % registry.segments.length]!;
            const readings = seg.lampIds.map(nextReading);
            messages.push({
              via: 'simulator',
              topic: topics.batch(seg.id),
              payload: JSON.stringify({
                segmentId: seg.id,
                controllerId: seg.controllerId,
                ts: t0,
                readings,
              }),
            });
            for (const r of readings) {
              const e = expected.get(r.lampId) ?? { n: 0, power: 0 };
              expected.set(r.lampId, { n: e.n + 1, power: e.power + r.activePower });
            }
            validReadings += readings.length;
          } else {
            const r = nextReading(lamps[k % lamps.length]!.id);
            messages.push({ via: 'simulator', topic: topics.telemetry(r.lampId), payload: '' });
            messages[messages.length - 1]!.payload = JSON.stringify(r);
            const e = expected.get(r.lampId) ?? { n: 0, power: 0 };
            expected.set(r.lampId, { n: e.n + 1, power: e.power + r.activePower });
            validReadings++;
          }
          validMessages++;
          const b = bad[k]!;
          messages.push(b);
          expectedCodes[b.code!] = (expectedCodes[b.code!] ?? 0) + 1;
        }
        // QoS 1, in chunks so that the publisher's in-flight window stays bounded
        for (let i = 0; i < messages.length; i += 500)
          await Promise.all(
            messages.slice(i, i + 500).map((m) =>
              (m.via === 'admin' ? admin : simulator).publishAsync(m.topic, m.payload, {
                qos: 1,
              }),
            ),
          );
        const target = before.accepted + sum(before.rejected) + validMessages * 2;
        await eventually(
          `round ${round + 1}: every message taken in`,
          async () => {
            const t = await takenIn();
            return t.accepted + sum(t.rejected) >= target;
          },
          { timeoutMs: 60_000, intervalMs: 50 },
        );
        expect(await processor.drained(30_000)).toBe(true);
        heap.push(heapAfterGc());
      }
      const seconds = (performance.now() - started) / 1000;

      // Every valid reading stored once: count and sum of activePower per lamp.
      const rows = await processor.store.partials({
        source: 'raw',
        from: t0 - 120_000,
        to: Date.now() + 60_000,
        fields: ['activePower'],
        stats: ['sum'],
        count: true,
      });
      let lost = 0;
      let duplicated = 0;
      const stored = new Map(rows.map((r) => [r.lampId, r]));
      for (const [lampId, e] of expected) {
        const got = Number(stored.get(lampId)?.count ?? 0);
        if (got < e.n) lost += e.n - got;
        if (got > e.n) duplicated += got - e.n;
        expect(stored.get(lampId)?.activePower_sum, lampId).toBe(e.power);
      }
      // Nothing stored for a lamp that had only invalid readings.
      for (const r of rows) expect(expected.has(r.lampId), r.lampId).toBe(true);

      const after = await takenIn();
      const rejected: Record<string, number> = {};
      for (const [code, v] of Object.entries(after.rejected))
        rejected[code] = v - (before.rejected[code] ?? 0);
      const refused = sum(rejected);
      await recordCounts('bad input: mqtt, invalid among valid', {
        attempts: validMessages + n,
        refused,
        lost,
        duplicated,
        valid: validMessages,
        validReadings,
        invalid: n,
        seconds: Number(seconds.toFixed(1)),
        heapMB: heap.map((h) => (h / MB).toFixed(1)).join(' → '),
      });
      expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
      expect(after.accepted - before.accepted).toBe(validMessages);
      expect(rejected).toEqual(expectedCodes);

      // Rejected with a reason: every dead letter names its code, schema ones the failing path.
      await eventually('dead letters', () => deadLetters.length >= 100);
      for (const d of deadLetters) {
        expect(Object.keys(expectedCodes)).toContain(d.reason.split(':')[0]);
        if (d.reason.startsWith('schema:')) expect(d.path, d.reason).toBeDefined();
      }
      // Alive: nobody was disconnected, the processor says it is healthy.
      expect(simulator.connected && admin.connected).toBe(true);
      expect(Object.values(broker.broker.stats().refusals).reduce((a, b) => a + b, 0)).toBe(0);
      const health = await fetch(`${processor.metricsUrl}/health`);
      expect(health.status).toBe(200);
      // Flat: the heap after the last round within 32 MB of the second (the first warms caches).
      expect((heap[rounds - 1]! - heap[1]!) / MB).toBeLessThan(32);
    },
    timeoutMs(300_000),
  );
});

describe('arbitrary topics and payloads', () => {
  /** One topic level: an id, a registry lamp, or anything MQTT allows in a level. */
  const level = fc.oneof(
    fc.constantFrom('DOLL-0001', 'DOLL-0002', 'seg-01', 'ZZ-1'),
    fc
      .string({ minLength: 1, maxLength: 20 })
      .map((s) => s.replace(/[+#/]/g, '_').replaceAll('\u0000', '_')),
  );
  const topic = fc.oneof(
    fc
      .tuple(level, fc.constantFrom('telemetry', 'status', 'event', 'ack', 'cmd'))
      .map(([id, kind]) => `${TOPIC_ROOT}/lamp/${id}/${kind}`),
    level.map((id) => `${TOPIC_ROOT}/segment/${id}/telemetry`),
  );
  // Below the contract's payload limit: beyond it the broker drops the sender (protection.test.ts).
  const payload = fc
    .oneof(
      fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? '')),
      fc
        .record({ lampId: level, ts: fc.integer(), type: fc.string(), state: fc.string() })
        .map((v) => Buffer.from(JSON.stringify(v))),
    )
    .filter((b) => b.byteLength < LIMITS.maxPayloadBytes);

  it(
    'each one is taken in and accepted or rejected; the processor stays up',
    async () => {
      let attempts = 0;
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(topic, payload, async (t, p) => {
          const before = await takenIn();
          await admin.publishAsync(t, p, { qos: 1 });
          const after = await eventually(
            `${t} taken in`,
            async () => {
              const a = await takenIn();
              return a.accepted + sum(a.rejected) > before.accepted + sum(before.rejected)
                ? a
                : undefined;
            },
            { timeoutMs: 5_000, intervalMs: 2 },
          );
          attempts++;
          if (sum(after.rejected) > sum(before.rejected)) refused++;
          expect(after.accepted + sum(after.rejected)).toBe(
            before.accepted + sum(before.rejected) + 1,
          );
        }),
        params(150, 3_000),
      );
      await recordCounts('bad input: mqtt, arbitrary topics and payloads', {
        attempts,
        refused,
        lost: 0,
        duplicated: 0,
      });
      expect(admin.connected).toBe(true);
      expect((await fetch(`${processor.metricsUrl}/health`)).status).toBe(200);
    },
    timeoutMs(120_000),
  );
});

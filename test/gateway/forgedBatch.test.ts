// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/**
 * A segment controller may publish a batch on its own segment's topic (the broker allows it),
 * but only for the lamps of its segment (shared/auth/deviceRule.ts). A batch that carries
 * readings of another segment's lamps must not reach the live view, and so neither REST, the
 * WebSocket nor the FIWARE export.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type SegmentBatch, topics } from '../../shared/contract/index.ts';
import { eventually } from '../helpers/eventually.ts';
import { type Harness, reading, startHarness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

test('a controller speaking for another segment is dropped and counted; its own lamps pass', async () => {
  const [seg, other] = h.broker.registry.segments;
  const own = seg!.lampIds[0]!;
  const foreign = other!.lampIds[0]!;
  const controller = await mqtt.connectAsync(h.broker.url, {
    ...h.broker.credentialsFor(seg!.controllerId),
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  const batch = (lampIds: string[], activePower: number): SegmentBatch => {
    const ts = Date.now();
    return {
      segmentId: seg!.id,
      controllerId: seg!.controllerId,
      ts,
      readings: lampIds.map((id) => reading(id, { ts, activePower, actualLevel: 0 })),
    };
  };
  try {
    const rejectedBefore = h.gateway.mqtt!.stats.rejected;
    // The forgery: the controller's own lamp as cover, plus a lamp of another segment.
    await controller.publishAsync(
      topics.batch(seg!.id),
      JSON.stringify(batch([own, foreign], 4321)),
      { qos: 1 },
    );
    // Then an honest batch: once it shows, the forged one (sent before it) has been handled.
    await controller.publishAsync(topics.batch(seg!.id), JSON.stringify(batch([own], 33)), {
      qos: 1,
    });
    const live = async (lampId: string) =>
      (await h.api('GET', `/api/live?lampIds=${lampId}`, { token: h.tokens.viewer })).json
        .lamps[0] as any;
    await eventually(
      'the honest batch in the live view',
      async () => (await live(own))?.telemetry?.activePower === 33,
    );
    const all = await h.api('GET', '/api/live', { token: h.tokens.viewer });
    expect(all.status).toBe(200);
    const forged = all.json.lamps.filter((l: any) => l.telemetry?.activePower === 4321);
    expect(forged).toEqual([]);
    expect((await live(foreign)).telemetry).toBeNull();
    expect(h.gateway.mqtt!.stats.rejected).toBe(rejectedBefore + 1);
    expect(h.gateway.mqtt!.stats.forged).toBe(1);
    const health = await h.api('GET', '/api/health');
    expect(health.json.mqtt).toMatchObject({ forged: 1 });
  } finally {
    await controller.endAsync();
  }
});

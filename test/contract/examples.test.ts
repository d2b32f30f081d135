/**
 * The contract's examples (the AsyncAPI document is built from them) describe the shipped lab as
 * it runs: lamps, segments, controllers and models of the shipped registry, readings the
 * processor's alarm engine finds healthy at its default settings, and the alarm and dead letter
 * the processor itself would publish.
 */
import { getPosition } from 'suncalc';
import { describe, expect, it } from 'vitest';
import { createAlarmEngine } from '../../services/processor/alarms/alarmEngine.ts';
import { PROCESSOR_DEFAULTS } from '../../services/processor/config.ts';
import { deadLetterFor, decodeMessage } from '../../shared/contract/decode.ts';
import {
  EXAMPLE_TS,
  EXAMPLES,
  exampleAckApplied,
  exampleAckRejected,
  exampleAlarm,
  exampleBatch,
  exampleDeadLetter,
  exampleEvent,
  exampleOverride,
  exampleStatusOnline,
  exampleTelemetry,
} from '../../shared/contract/examples.ts';
import type { Telemetry } from '../../shared/contract/telemetry.ts';
import { loadRegistry } from '../../shared/registry/index.ts';

const registry = loadRegistry();
const engine = () =>
  createAlarmEngine(PROCESSOR_DEFAULTS, {
    registry,
    sunAltitude: (ts, lat, lon) => (getPosition(new Date(ts), lat, lon).altitude * 180) / Math.PI,
  });
const readings: Telemetry[] = [exampleTelemetry, ...exampleBatch.readings];
const modelOf = (lampId: string) => {
  const lamp = registry.lamp(lampId);
  expect(lamp, `${lampId} is a lamp of the shipped route`).toBeDefined();
  const model = registry.model(lamp!.modelId);
  expect(model, `model of ${lampId}`).toBeDefined();
  return model!;
};

describe('contract examples against the shipped registry', () => {
  it('name lamps of the shipped route', () => {
    const lampIds = Object.values(EXAMPLES)
      .flat()
      .map((e) => (e.payload as { lampId?: unknown }).lampId)
      .filter((id) => id !== undefined);
    expect(lampIds.length).toBeGreaterThan(5);
    for (const id of lampIds) expect(registry.lamp(String(id)), String(id)).toBeDefined();
  });

  it('send a batch on the segment and controller of its lamps', () => {
    for (const r of exampleBatch.readings) {
      expect(registry.lamp(r.lampId)).toMatchObject({
        segmentId: exampleBatch.segmentId,
        controllerId: exampleBatch.controllerId,
      });
    }
  });

  it("announce the lamp's own vendor and catalog model", () => {
    const model = modelOf(exampleStatusOnline.lampId);
    expect([exampleStatusOnline.vendor, exampleStatusOnline.model]).toEqual([
      model.vendorId,
      model.id,
    ]);
  });

  it('carry sensor fields only for models with those sensors', () => {
    for (const r of readings) {
      const sensors = modelOf(r.lampId).sensors;
      expect(r.illuminance === undefined || sensors.includes('illuminance'), r.lampId).toBe(true);
      expect(r.presenceCount === undefined || sensors.includes('presence'), r.lampId).toBe(true);
    }
    expect(readings.some((r) => r.illuminance !== undefined)).toBe(true);
  });
});

describe("contract examples against the processor's alarm model", () => {
  it('are healthy readings: no alarm at the default settings', () => {
    const e = engine();
    for (const r of readings) expect(e.onTelemetry(r, r.ts), r.lampId).toEqual([]);
    expect(e.tick(EXAMPLE_TS + 1_000)).toEqual([]);
  });

  it('report a lamp failure with a power the engine takes for one', () => {
    const e = engine();
    const healthy = exampleBatch.readings.find((r) => r.lampId === exampleEvent.lampId)!;
    expect(e.onTelemetry(healthy, EXAMPLE_TS)).toEqual([]);
    const failing = { ...healthy, seq: healthy.seq + 1, activePower: exampleEvent.value! };
    expect(e.onTelemetry(failing, EXAMPLE_TS).map((a) => a.alarmId)).toEqual([
      `lampFailure:${exampleEvent.lampId}`,
    ]);
  });

  it('raise the segment alarm the engine raises when the whole segment loses supply', () => {
    const e = engine();
    const lamps = registry.lampsInSegment(exampleAlarm.segmentId!);
    const raised = lamps.flatMap((l) =>
      e.onTelemetry({ ...exampleTelemetry, lampId: l.id, supplyVoltage: 0 }, EXAMPLE_TS),
    );
    expect(raised.filter((a) => a.type === 'segmentSupplyLoss')).toEqual([exampleAlarm]);
  });

  it('acknowledge the example override', () => {
    const override = exampleOverride.type === 'override' ? exampleOverride : undefined;
    expect(override?.expiresAt).toBeDefined();
    expect(exampleAckApplied.commandId).toBe(override!.commandId);
    expect(exampleAckApplied.actualLevel).toBe(override!.level);
    expect(exampleAckRejected.commandId).toBe(override!.commandId);
    expect(exampleAckRejected.ts).toBeGreaterThan(override!.expiresAt!);
  });

  it('publish the dead letter the decoder makes of the rejected payload', () => {
    const { topic, payload } = exampleDeadLetter;
    const decoded = decodeMessage(topic, payload, { now: EXAMPLE_TS });
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(deadLetterFor(topic, payload, decoded, EXAMPLE_TS)).toEqual(exampleDeadLetter);
  });
});

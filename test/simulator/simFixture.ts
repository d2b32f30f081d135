/** A small simulation on the real registry, driven by a fake wall clock (no I/O, no timers). */
import { decodeMessage, type MessageKind } from '../../shared/contract/index.ts';
import { BUILTIN_PROGRAMS } from '../../shared/programs/programs.ts';
import { loadRegistry } from '../../shared/registry/index.ts';
import { createSimClock } from '../../simulator/clock.ts';
import { scaleRegistry, simLamps } from '../../simulator/fleet.ts';
import { type Outbound, type SimMode, Simulation } from '../../simulator/Simulation.ts';

export const registry = loadRegistry();

/** 21:00 CET on 15 November 2026: the Danish profile is at 100 %. */
export const EVENING = Date.parse('2026-11-15T20:00:00Z');

export function createTestSim(
  opts: {
    lamps?: number;
    mode?: SimMode;
    start?: number;
    program?: keyof typeof BUILTIN_PROGRAMS;
    traffic?: number;
    intervalMs?: number;
  } = {},
) {
  const start = opts.start ?? EVENING;
  let wall = start;
  const reg = scaleRegistry(registry, opts.lamps ?? 12);
  const sim = new Simulation(
    {
      lamps: simLamps(reg, 7),
      mode: opts.mode ?? 'lamp',
      clock: createSimClock(start, start, 1),
      intervalMs: opts.intervalMs ?? 1_000,
      jitter: 0,
      seed: 7,
      program: BUILTIN_PROGRAMS[opts.program ?? 'danish'],
      trafficPerHour: opts.traffic ?? 0,
    },
    start,
  );
  const sent: Outbound[] = [];
  return {
    sim,
    registry: reg,
    sent,
    now: () => wall,
    /** Move the wall clock on in ticks of `stepMs`, collecting what the engine sends. */
    run(ms: number, stepMs = 100) {
      const out: Outbound[] = [];
      for (let t = 0; t < ms; t += stepMs) {
        wall += Math.min(stepMs, ms - t);
        out.push(...sim.tick(wall));
      }
      sent.push(...out);
      return out;
    },
    command(lampId: string, cmd: unknown) {
      const out = sim.command(lampId, typeof cmd === 'string' ? cmd : JSON.stringify(cmd), wall);
      sent.push(...out);
      return out;
    },
  };
}

/** Decode what was sent with the shared contract (receiver clock = `now`); throws on rejection. */
export function decodeAll<K extends MessageKind>(out: Outbound[], kind: K, now: number) {
  return out
    .filter((o) => o.kind === kind || (kind === 'telemetry' && o.kind === 'telemetry'))
    .map((o) => {
      const d = decodeMessage(o.topic, o.payload, { now });
      if (!d.ok) throw new Error(`${o.topic}: ${d.code} ${d.reason}`);
      if (d.kind !== kind) throw new Error(`${o.topic}: expected ${kind}, got ${d.kind}`);
      return d.value as import('../../shared/contract/index.ts').MessageOf<K>;
    });
}

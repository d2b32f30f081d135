/**
 * Three hours of the simulated route (280 lamps, segment controllers reporting every minute) with
 * a lamp-failure episode on every lamp, a command to every lamp and its acknowledgements, the
 * alarms the processor would store, and its rollups and last state, written through the
 * project's own store adapter. Every
 * message is decoded with the shared contract first and tagged from the registry, as the
 * processor does.
 */
import { tagsOf as processorTags } from '../../services/processor/ingest.ts';
import { Alarm, decodeMessage } from '../../shared/contract/index.ts';
import { loadRegistry } from '../../shared/registry/index.ts';
import { createDuckdbStore } from '../../shared/storage/duckdb/duckdbStore.ts';
import type {
  LampTags,
  PartialRow,
  PartialsQuery,
  RollupResolution,
  Store,
  StoredTelemetry,
} from '../../shared/storage/port.ts';
import { computeRollups } from '../../shared/storage/rollup.ts';
import {
  BUILTIN_PROGRAMS,
  createSimClock,
  type Outbound,
  Simulation,
  simLamps,
} from '../../simulator/index.ts';

/** 16:00 UTC on 15 November 2026: just after sunset at the route, lamps switching on. */
export const LAB_START = Date.parse('2026-11-15T16:00:00Z');
export const LAB_HOURS = 3;
export const LAB_END = LAB_START + LAB_HOURS * 3_600_000;

export interface SeededLab {
  from: number;
  to: number;
  readings: number;
  lamps: number;
}

export async function seedLab(store: Store): Promise<SeededLab> {
  const registry = loadRegistry();
  // The processor's own tagging, from the registry.
  const tagsOf = (lampId: string): LampTags => {
    const tags = processorTags(registry, lampId);
    if (!tags) throw new Error(`simulated lamp ${lampId} is not in the registry`);
    return tags;
  };
  const sim = new Simulation(
    {
      lamps: simLamps(registry, 7),
      mode: 'segment',
      clock: createSimClock(LAB_START, LAB_START, 1),
      intervalMs: 60_000,
      jitter: 0,
      seed: 7,
      program: BUILTIN_PROGRAMS.danish,
      trafficPerHour: 60,
    },
    LAB_START,
  );
  const out: Outbound[] = [];
  for (const via of sim.connections()) out.push(...sim.birth(via, LAB_START));
  const copy = await createDuckdbStore({ path: ':memory:' });
  let readings = 0;
  const latest = new Map<string, StoredTelemetry>();
  const flush = async (wall: number) => {
    const telemetry = [];
    const status = [];
    const events = [];
    const acks = [];
    for (const o of out.splice(0)) {
      const d = decodeMessage(o.topic, o.payload, { now: wall });
      if (!d.ok) throw new Error(`${o.topic}: ${d.code} ${d.reason}`);
      if (d.kind === 'batch')
        for (const r of d.value.readings) telemetry.push({ ...r, ...tagsOf(r.lampId) });
      else if (d.kind === 'telemetry') telemetry.push({ ...d.value, ...tagsOf(d.value.lampId) });
      else if (d.kind === 'status') status.push({ ...d.value, ...tagsOf(d.value.lampId) });
      else if (d.kind === 'event') events.push({ ...d.value, ...tagsOf(d.value.lampId) });
      else if (d.kind === 'ack') acks.push({ ...d.value, ...tagsOf(d.value.lampId) });
    }
    readings += telemetry.length;
    await copy.writeTelemetry(telemetry);
    for (const r of telemetry) {
      const seen = latest.get(r.lampId);
      if (!seen || r.ts > seen.ts) latest.set(r.lampId, r);
    }
    await store.writeTelemetry(telemetry);
    await store.writeStatus(status);
    await store.writeEvents(events);
    await store.writeAcks(acks);
  };

  const lampIds = registry.lamps.map((l) => l.id);
  const minute = 60_000;
  for (let wall = LAB_START + 1_000; wall <= LAB_END; wall += 1_000) {
    out.push(...sim.tick(wall));
    const at = wall - LAB_START;
    if (at === 60 * minute) sim.injectFault({ kind: 'lampFailure', target: '*', params: {} }, wall);
    if (at === 80 * minute) sim.clearFault('*', wall, 'lampFailure');
    if (at === 120 * minute) {
      for (const [i, lampId] of lampIds.entries()) {
        const cmd = {
          commandId: `cmd-${i}`,
          issuedAt: wall,
          type: 'override',
          level: 40,
          rampMs: 2_000,
        };
        out.push(...sim.command(lampId, JSON.stringify(cmd), wall));
      }
    }
    if (out.length >= 2_000 || wall === LAB_END) await flush(wall);
  }

  // What the processor's alarm engine stores: raised and cleared transitions, one still raised.
  const alarm = (a: unknown) => Alarm.parse(a);
  const lampFailure = (lampId: string, state: 'raised' | 'cleared', ts: number, detail: string) =>
    alarm({
      alarmId: `lampFailure:${lampId}`,
      type: 'lampFailure',
      state,
      severity: 'major',
      lampId,
      segmentId: tagsOf(lampId).segmentId,
      ts,
      detail,
    });
  const failing = lampIds.slice(0, 5);
  await store.writeAlarms([
    ...failing.map((id, i) =>
      lampFailure(id, 'raised', LAB_START + 61 * minute + i, 'commanded on, drawing standby power'),
    ),
    ...failing
      .slice(1)
      .map((id, i) => lampFailure(id, 'cleared', LAB_START + 81 * minute + i, 'normal power')),
    alarm({
      alarmId: `segmentSupplyLoss:${tagsOf(failing[0]!).segmentId}`,
      type: 'segmentSupplyLoss',
      state: 'raised',
      severity: 'critical',
      segmentId: tagsOf(failing[0]!).segmentId,
      ts: LAB_START + 150 * minute,
      detail: '12 of 20 lamps without supply',
    }),
  ]);
  // What the processor keeps as it writes: 1-minute rollups from raw, 1-hour from those, and the
  // latest reading of each lamp (shared/storage/rollup.ts, the processor's own computation).
  // The rows are computed by the shared rollup code from an embedded copy of the same readings
  // (DuckDB answers the aggregate read in milliseconds where influxd 1.6 takes seconds a
  // minute of the route; both stores pass one contract suite) and written to `store`.
  const rollups = {
    partials: (q: PartialsQuery) => copy.partials(q),
    writeRollups: async (r: RollupResolution, rows: readonly PartialRow[]) => {
      await copy.writeRollups(r, rows);
      // In slices, as the processor writes a few buckets at a time (one write of three hours of
      // the route's minute rows is beyond influxd's request size limit).
      for (let i = 0; i < rows.length; i += 2_000)
        await store.writeRollups(r, rows.slice(i, i + 2_000));
    },
  };
  await computeRollups(rollups, '1m', LAB_START, LAB_END);
  await computeRollups(rollups, '1h', LAB_START, LAB_END);
  await copy.close();
  await store.writeRollupState({
    '1m': { since: LAB_START, completeUntil: LAB_END },
    '1h': { since: LAB_START, completeUntil: LAB_END },
  });
  await store.writeLastState([...latest.values()]);
  return { from: LAB_START, to: LAB_END, readings, lamps: lampIds.length };
}

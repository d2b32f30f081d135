/**
 * Processors sharing the stream on a broker without shared subscriptions (aedes): each processor
 * owns a partition of the segments and subscribes to its lamps' topics only, so every message goes
 * to exactly one processor. Partitioning by segment keeps a segment's lamps together, so alarms
 * that span lamps (one segment supply loss) are judged by one processor that sees them all.
 *
 *   PROCESSOR_PARTITION=2/3               partition 2 of 3 by a stable hash of the segment id
 *   PROCESSOR_PARTITION=segments:S01,S02  these segments
 *
 * Pure functions over the registry; processor.ts applies them at start (docs/cluster.md).
 */
import { ConfigError } from '../../shared/config.ts';
import { topics } from '../../shared/contract/topics.ts';
import type { Registry } from '../../shared/registry/index.ts';

export type Partition =
  | { kind: 'hash'; index: number; count: number }
  | { kind: 'segments'; segmentIds: readonly string[] };

/** Parse one partition; the error says what is wrong with the text. */
export function parsePartition(spec: string): Partition {
  const text = spec.trim();
  const hash = /^(\d+)\/(\d+)$/.exec(text);
  if (hash) {
    const index = Number(hash[1]);
    const count = Number(hash[2]);
    if (count < 1 || index < 1 || index > count)
      throw new Error(`"${text}": want i/n with 1 <= i <= n`);
    return { kind: 'hash', index, count };
  }
  if (text.startsWith('segments:')) {
    const segmentIds = text
      .slice('segments:'.length)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (segmentIds.length === 0) throw new Error(`"${text}": no segment listed`);
    return { kind: 'segments', segmentIds };
  }
  throw new Error(`"${text}": want i/n (e.g. 2/3) or segments:<id>,<id>`);
}

/** A plan: every partition of a deployment, separated by `;`. */
export const parsePlan = (spec: string): Partition[] =>
  spec
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parsePartition);

/** FNV-1a (32 bit) of the segment id: the same on every machine and every start. */
export function segmentHash(segmentId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < segmentId.length; i++) {
    h ^= segmentId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function ownsSegment(p: Partition, segmentId: string): boolean {
  return p.kind === 'hash'
    ? segmentHash(segmentId) % p.count === p.index - 1
    : p.segmentIds.includes(segmentId);
}

/** The registry's segments a partition owns. */
export const segmentsOf = (p: Partition, registry: Registry): string[] =>
  registry.segments.filter((s) => ownsSegment(p, s.id)).map((s) => s.id);

/**
 * Why a plan does not cover every lamp exactly once: lamps no partition owns, lamps owned twice,
 * and segments a list names that the registry does not have. Empty: the plan is sound.
 */
export function coverageProblems(registry: Registry, plan: readonly Partition[]): string[] {
  const problems: string[] = [];
  const uncovered: string[] = [];
  const twice: string[] = [];
  for (const lamp of registry.lamps) {
    const owners = plan.filter((p) => ownsSegment(p, lamp.segmentId)).length;
    if (owners === 0) uncovered.push(lamp.id);
    else if (owners > 1) twice.push(lamp.id);
  }
  const sample = (ids: string[]) => ids.slice(0, 5).join(', ') + (ids.length > 5 ? ', ...' : '');
  if (uncovered.length > 0)
    problems.push(`${uncovered.length} lamps in no partition (${sample(uncovered)})`);
  if (twice.length > 0)
    problems.push(`${twice.length} lamps in more than one partition (${sample(twice)})`);
  for (const p of plan) {
    if (p.kind !== 'segments') continue;
    const unknown = p.segmentIds.filter((id) => !registry.segment(id));
    if (unknown.length > 0) problems.push(`unknown segments: ${sample(unknown)}`);
  }
  return problems;
}

/** The exact topics of a partition's lamps and segments (no wildcards: aedes routes them). */
export function partitionTopics(registry: Registry, segmentIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const segmentId of segmentIds) {
    out.push(topics.batch(segmentId));
    for (const lamp of registry.lampsInSegment(segmentId))
      out.push(
        topics.telemetry(lamp.id),
        topics.status(lamp.id),
        topics.event(lamp.id),
        topics.ack(lamp.id),
        topics.command(lamp.id),
      );
  }
  return out;
}

/**
 * The registry as one partition sees it: its lamps and segments only. The alarm engine then
 * judges and restores only what this processor hears; the other partitions own the rest.
 */
export function partitionRegistry(registry: Registry, segmentIds: readonly string[]): Registry {
  const own = new Set(segmentIds);
  const lamps = registry.lamps.filter((l) => own.has(l.segmentId));
  const lampIds = new Set(lamps.map((l) => l.id));
  const mine = <T extends { id: string }>(list: readonly T[], keep: (id: string) => boolean) =>
    list.filter((x) => keep(x.id));
  const none: readonly never[] = [];
  return {
    ...registry,
    lamps,
    segments: mine(registry.segments, (id) => own.has(id)),
    lamp: (id) => (lampIds.has(id) ? registry.lamp(id) : undefined),
    segment: (id) => (own.has(id) ? registry.segment(id) : undefined),
    vendorOf: (id) => (lampIds.has(id) ? registry.vendorOf(id) : undefined),
    lampsInSegment: (id) => (own.has(id) ? registry.lampsInSegment(id) : none),
    lampsOfVendor: (id) => registry.lampsOfVendor(id).filter((l) => lampIds.has(l.id)),
    lampsOfModel: (id) => registry.lampsOfModel(id).filter((l) => lampIds.has(l.id)),
    segmentGeometry: (id) => (own.has(id) ? registry.segmentGeometry(id) : undefined),
  };
}

export interface PartitionSetup {
  partition: Partition;
  segmentIds: string[];
  registry: Registry;
  topics: string[];
}

/**
 * The start-up check: the partition must own at least one segment, and with a plan
 * (PROCESSOR_PARTITION_PLAN) the plan must cover every lamp exactly once and include it.
 */
export function setUpPartition(
  registry: Registry,
  spec: string,
  planSpec: string | undefined,
): PartitionSetup {
  const problems: string[] = [];
  const partition = parsePartition(spec);
  const segmentIds = segmentsOf(partition, registry);
  if (segmentIds.length === 0) problems.push(`PROCESSOR_PARTITION=${spec} owns no segment`);
  if (planSpec) {
    const plan = parsePlan(planSpec);
    if (!plan.some((p) => JSON.stringify(p) === JSON.stringify(partition)))
      problems.push(`PROCESSOR_PARTITION=${spec} is not in PROCESSOR_PARTITION_PLAN`);
    for (const p of coverageProblems(registry, plan))
      problems.push(`PROCESSOR_PARTITION_PLAN: ${p}`);
  }
  if (problems.length > 0) throw new ConfigError('processor', problems);
  return {
    partition,
    segmentIds,
    registry: partitionRegistry(registry, segmentIds),
    topics: partitionTopics(registry, segmentIds),
  };
}

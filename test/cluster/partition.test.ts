/** Processor partitions over the shipped DOLL registry (280 lamps in 12 segments). */
import { describe, expect, it } from 'vitest';
import { loadProcessorConfig } from '../../services/processor/config.ts';
import {
  coverageProblems,
  type Partition,
  parsePartition,
  parsePlan,
  partitionRegistry,
  partitionTopics,
  segmentHash,
  segmentsOf,
  setUpPartition,
} from '../../services/processor/partition.ts';
import { ConfigError } from '../../shared/config.ts';
import { loadRegistry } from '../../shared/registry/index.ts';

const registry = loadRegistry();
const allSegments = registry.segments.map((s) => s.id);

describe('parsePartition', () => {
  it.each([
    ['2/3', { kind: 'hash', index: 2, count: 3 }],
    ['1/1', { kind: 'hash', index: 1, count: 1 }],
    [' segments:seg-01, seg-02 ', { kind: 'segments', segmentIds: ['seg-01', 'seg-02'] }],
  ] as const)('reads %j', (text, want) => {
    expect(parsePartition(text)).toEqual(want);
  });

  it.each([
    ['0/3', 'want i/n with 1 <= i <= n'],
    ['4/3', 'want i/n with 1 <= i <= n'],
    ['1/0', 'want i/n with 1 <= i <= n'],
    ['segments:', 'no segment listed'],
    ['half', 'want i/n (e.g. 2/3) or segments:'],
  ])('refuses %j', (text, why) => {
    expect(() => parsePartition(text)).toThrow(why);
  });

  it('is checked when the configuration loads, naming the variable', () => {
    expect(() => loadProcessorConfig({ PROCESSOR_PARTITION: '4/3' })).toThrow(
      /PROCESSOR_PARTITION.*want i\/n/s,
    );
    expect(loadProcessorConfig({ PROCESSOR_PARTITION: '1/2' }).PROCESSOR_PARTITION).toBe('1/2');
  });
});

describe('coverage of a plan', () => {
  const half = Math.floor(allSegments.length / 2);
  const listA = `segments:${allSegments.slice(0, half).join(',')}`;
  const listB = `segments:${allSegments.slice(half).join(',')}`;
  it.each([
    ['three hash partitions', '1/3;2/3;3/3', []],
    ['one partition of one', '1/1', []],
    ['two lists that split the segments', `${listA};${listB}`, []],
    ['a missing hash partition', '1/3;3/3', [/^\d+ lamps in no partition \(DOLL-/]],
    ['a list missing', listA, [/^\d+ lamps in no partition/]],
    ['a list over a hash plan', `1/2;2/2;segments:seg-01`, [/^26 lamps in more than one/]],
    ['an unknown segment', `${listA};${listB},seg-99`, [/^unknown segments: seg-99$/]],
  ] as const)('%s', (_name, plan, want) => {
    const problems = coverageProblems(registry, parsePlan(plan));
    expect(problems).toHaveLength(want.length);
    for (const [i, re] of want.entries()) expect(problems[i]).toMatch(re);
  });

  it('gives every segment to exactly one hash partition, the same on every start', () => {
    const plan: Partition[] = [1, 2, 3].map((index) => ({ kind: 'hash', index, count: 3 }));
    const owned = plan.flatMap((p) => segmentsOf(p, registry));
    expect(owned.sort()).toEqual([...allSegments].sort());
    // FNV-1a's published value for "a": the hash does not depend on the process or machine.
    expect(segmentHash('a')).toBe(0xe40c292c);
  });
});

describe('one partition', () => {
  it("subscribes to its lamps' exact topics and its segments' batches only", () => {
    const segs = ['seg-01', 'seg-02'];
    const lamps = segs.flatMap((s) => registry.lampsInSegment(s));
    const t = partitionTopics(registry, segs);
    expect(t).toHaveLength(segs.length + 5 * lamps.length);
    expect(t.some((x) => x.includes('+') || x.includes('#'))).toBe(false);
    expect(t).toContain('gadelys/v1/segment/seg-01/telemetry');
    expect(t).toContain(`gadelys/v1/lamp/${lamps[0]!.id}/cmd`);
  });

  it('sees only its own lamps and segments in its registry', () => {
    const inside = registry.lampsInSegment('seg-01')[0]!;
    const outside = registry.lampsInSegment('seg-02')[0]!;
    const view = partitionRegistry(registry, ['seg-01']);
    expect(view.lamps.every((l) => l.segmentId === 'seg-01')).toBe(true);
    expect(view.segments.map((s) => s.id)).toEqual(['seg-01']);
    expect(view.lamp(inside.id)).toEqual(inside);
    expect(view.lamp(outside.id)).toBeUndefined();
    expect(view.lampsInSegment('seg-02')).toEqual([]);
    expect(view.models).toBe(registry.models);
  });

  it('fails the start on a plan with a gap, or one that leaves this partition out', () => {
    expect(() => setUpPartition(registry, '2/3', '1/3;3/3')).toThrow(ConfigError);
    expect(() => setUpPartition(registry, '2/3', '1/3;3/3')).toThrow(
      /not in PROCESSOR_PARTITION_PLAN[\s\S]*lamps in no partition/,
    );
    expect(() => setUpPartition(registry, 'segments:seg-99', undefined)).toThrow(/owns no segment/);
    const ok = setUpPartition(registry, '2/3', '1/3;2/3;3/3');
    expect(ok.segmentIds).toEqual(segmentsOf({ kind: 'hash', index: 2, count: 3 }, registry));
    expect(ok.registry.lamps.length).toBeGreaterThan(0);
  });
});

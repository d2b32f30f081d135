/**
 * The broker's retained-message trie answers every filter as aedes-persistence's scan did
 * (qlobber's matcher over every retained topic). What it saves is measured by the broker
 * benchmark (`npm run bench -- broker`, docs/benchmarks/broker.md).
 */
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { RetainedTrie } from '../../services/broker/retainedIndex.ts';

const { QlobberTrue } = createRequire(import.meta.url)('qlobber') as {
  QlobberTrue: new (o: object) => { add(t: string): void; test(t: string): boolean };
};
const scan = (topics: Iterable<string>, filter: string) => {
  const q = new QlobberTrue({ wildcard_one: '+', wildcard_some: '#', separator: '/' });
  q.add(filter);
  return [...topics].filter((t) => q.test(t)).sort();
};
const packet = (topic: string, payload = 'x') => ({ topic, payload: Buffer.from(payload) });

describe('retained messages in a topic trie', () => {
  const topics = [
    'gadelys/v1/status/seg-01/DOLL-0001',
    'gadelys/v1/status/seg-01/DOLL-0002',
    'gadelys/v1/status/seg-02/DOLL-0003',
    'gadelys/v1/cmd/seg-01/DOLL-0001',
    'gadelys/v1/status',
    'gadelys',
    'a//b',
    'a/',
    '/lead',
    '$SYS/x/uptime',
  ];
  const filters = [
    '#',
    'gadelys/#',
    'gadelys/v1/status/#',
    'gadelys/v1/status/+/DOLL-0001',
    'gadelys/v1/+/seg-01/+',
    'gadelys/v1/status/+',
    'gadelys/v1/status/seg-01/DOLL-0002',
    'gadelys/v1/status/seg-09/DOLL-0002',
    'a/+/b',
    'a/+',
    '+/lead',
    '+',
    '+/#',
    '$SYS/#',
    'nothing/here',
  ];

  test('every filter matches what the scan over every topic matched', () => {
    const trie = new RetainedTrie();
    for (const t of topics) trie.store(packet(t));
    expect(trie.size).toBe(topics.length);
    for (const f of filters)
      expect([...trie.match(f)].map((p) => p.topic).sort(), f).toEqual(scan(topics, f));
  });

  test('a newer message replaces the retained one, an empty payload deletes it', () => {
    const trie = new RetainedTrie();
    for (const t of topics) trie.store(packet(t));
    trie.store(packet('gadelys/v1/status/seg-01/DOLL-0001', 'newer'));
    expect(
      [...trie.match('gadelys/v1/status/seg-01/DOLL-0001')].map((p) => String(p.payload)),
    ).toEqual(['newer']);
    trie.store(packet('gadelys/v1/status/seg-01/DOLL-0001', ''));
    trie.store(packet('never/stored', ''));
    const left = topics.filter((t) => t !== 'gadelys/v1/status/seg-01/DOLL-0001');
    expect(trie.size).toBe(left.length);
    for (const f of filters)
      expect([...trie.match(f)].map((p) => p.topic).sort(), f).toEqual(scan(left, f));
    // the caller's packet is copied: changing it later changes nothing stored
    const p = packet('gadelys/v1/status/seg-02/DOLL-0003', 'kept');
    trie.store(p);
    p.payload = Buffer.from('changed');
    expect(String([...trie.match(p.topic)][0]!.payload)).toBe('kept');
  });

  test('with 100,000 retained lamps a lamp filter and a segment wildcard find what the scan finds', () => {
    const trie = new RetainedTrie();
    const all: string[] = [];
    for (let k = 0; k < 100_000; k++) {
      const t = `gadelys/v1/status/seg-${k % 400}/L-${k}`;
      all.push(t);
      trie.store(packet(t));
    }
    expect([...trie.match('gadelys/v1/status/seg-7/L-4007')].map((p) => p.topic)).toEqual([
      'gadelys/v1/status/seg-7/L-4007',
    ]);
    // one segment by wildcard: its 250 lamps, the same as the scan finds
    expect([...trie.match('gadelys/v1/status/seg-7/+')].length).toBe(
      scan(all, 'gadelys/v1/status/seg-7/+').length,
    );
  });
});

/**
 * aedes' in-memory persistence with its retained messages in a topic trie. aedes-persistence 11
 * answers every SUBSCRIBE by testing each retained topic against each filter: with a retained
 * status per lamp, a segment controller's subscription to its own command topics cost a pass
 * over 100,000 topics, and 90 % of the broker's CPU while a 100,000-lamp fleet connected (about
 * five connects a second, a quarter of an hour to bring the fleet up). In the trie a filter
 * walks its literal levels and fans out only at `+` and `#`: a subscription costs what it
 * matches. Semantics as aedes-persistence's scan (qlobber): `+` one non-empty level, `#` this level and every one below; an empty payload deletes.
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { AedesOptions } from 'aedes';

type Persistence = NonNullable<AedesOptions['persistence']>;
// Its types describe the interface, not the main export aedes uses (the callback facade over
// the async class), as for aedes-persistence-redis in cluster.ts.
const memory = createRequire(import.meta.url)('aedes-persistence') as () => Persistence;
/** What aedes stores and streams back: a packet with a topic and a payload. */
interface RetainedPacket {
  topic: string;
  payload: Buffer | string;
  [k: string]: unknown;
}

interface Node {
  children: Map<string, Node>;
  packet?: RetainedPacket;
}

const node = (): Node => ({ children: new Map() });

export class RetainedTrie {
  private readonly root = node();
  private count = 0;

  get size(): number {
    return this.count;
  }

  store(packet: RetainedPacket): void {
    const levels = packet.topic.split('/');
    if (packet.payload.length === 0) {
      this.delete(levels);
      return;
    }
    let at = this.root;
    for (const level of levels) {
      let next = at.children.get(level);
      if (!next) {
        next = node();
        at.children.set(level, next);
      }
      at = next;
    }
    if (!at.packet) this.count += 1;
    // a copy, as aedes-persistence keeps: the caller's packet object goes on being used
    at.packet = { ...packet };
  }

  private delete(levels: string[]): void {
    const path: Node[] = [this.root];
    for (const level of levels) {
      const next = path.at(-1)!.children.get(level);
      if (!next) return;
      path.push(next);
    }
    const leaf = path.at(-1)!;
    if (!leaf.packet) return;
    leaf.packet = undefined;
    this.count -= 1;
    // prune the branch that now holds nothing
    for (let k = levels.length; k > 0; k--) {
      const n = path[k]!;
      if (n.packet || n.children.size > 0) break;
      path[k - 1]!.children.delete(levels[k - 1]!);
    }
  }

  /** Every retained packet whose topic the filter matches. */
  *match(filter: string): Generator<RetainedPacket> {
    yield* this.walk(this.root, filter.split('/'), 0);
  }

  private *walk(at: Node, levels: string[], k: number): Generator<RetainedPacket> {
    if (k === levels.length) {
      if (at.packet) yield at.packet;
      return;
    }
    const level = levels[k]!;
    if (level === '#') {
      yield* this.all(at);
      return;
    }
    if (level === '+') {
      // as the scan's qlobber, `+` matches no empty level (`a/+/b` not `a//b`); aedes' live
      // routing does ([MQTT-4.7.1-3]). Our topics have no empty level (shared/contract/topics.ts).
      for (const [key, child] of at.children)
        if (key !== '') yield* this.walk(child, levels, k + 1);
      return;
    }
    const child = at.children.get(level);
    if (child) yield* this.walk(child, levels, k + 1);
  }

  private *all(at: Node): Generator<RetainedPacket> {
    if (at.packet) yield at.packet;
    for (const child of at.children.values()) yield* this.all(child);
  }
}

/** aedes-persistence's memory persistence, retained messages served from a RetainedTrie. */
export function indexedMemoryPersistence(): Persistence {
  const p = memory() as Persistence & Record<string, unknown>;
  const trie = new RetainedTrie();
  Object.assign(p, {
    // aedes 1.x awaits the promise; the callback form is the facade's other signature
    storeRetained(packet: RetainedPacket, cb?: (err: Error | null) => void): Promise<void> {
      trie.store(packet);
      if (cb) queueMicrotask(() => cb(null));
      return Promise.resolve();
    },
    createRetainedStream(pattern: string) {
      return Readable.from(trie.match(pattern));
    },
    createRetainedStreamCombi(patterns: string[]) {
      return Readable.from(
        (function* () {
          for (const pattern of patterns) yield* trie.match(pattern);
        })(),
      );
    },
    retainedCount: () => trie.size,
  });
  return p;
}

import { describe, expect, it } from 'vitest';
import { ReadingLedger } from './loadCounts.ts';

const reading = (lampId: string, ts: number) => JSON.stringify({ lampId, ts, seq: ts });

describe('the reading ledger', () => {
  it('counts lost, duplicated and stored-though-unacknowledged readings per phase', () => {
    const ledger = new ReadingLedger();
    ledger.record(reading('A', 1), true);
    ledger.record(reading('A', 2), true);
    ledger.phase = 1;
    ledger.record(reading('A', 3), true);
    ledger.record(reading('B', 3), false);
    ledger.record(reading('B', 4), false);
    // A resend acknowledged later counts once, as acknowledged, in the phase of its ack.
    ledger.record(reading('B', 4), true);
    const stored = new Map([
      ['A', [1, 3, 3]],
      ['B', [3, 4]],
    ]);
    expect(ledger.compare(stored, 2)).toEqual([
      { acked: 2, notAcked: 0, lost: 1, duplicated: 0, storedUnacked: 0 },
      { acked: 2, notAcked: 1, lost: 0, duplicated: 1, storedUnacked: 1 },
    ]);
    expect(ledger.missing(stored)).toEqual(['A@2']);
    expect(ledger.ackedTotal).toBe(4);
    expect([ledger.minTs, ledger.maxTs]).toEqual([1, 4]);
  });
});

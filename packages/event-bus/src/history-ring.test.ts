import { describe, expect, it } from 'vitest';
import { HistoryRing } from './history-ring.js';

const ev = (seq: number) => ({ envelope: { seq } });
const seqs = (events: { envelope: { seq: number } }[]) => events.map((e) => e.envelope.seq);

describe('HistoryRing', () => {
  it('keeps every event until full', () => {
    const ring = new HistoryRing(5);
    expect(ring.firstSeq).toBeUndefined();
    expect(ring.after(0)).toEqual([]);
    for (let s = 1; s <= 3; s++) ring.push(ev(s));
    expect(ring.size).toBe(3);
    expect([ring.firstSeq, ring.lastSeq]).toEqual([1, 3]);
    expect(seqs(ring.after(1))).toEqual([2, 3]);
  });

  it('never holds more than its capacity, evicting the oldest', () => {
    const ring = new HistoryRing(100);
    for (let s = 1; s <= 1050; s++) ring.push(ev(s));
    expect(ring.size).toBe(100);
    expect([ring.firstSeq, ring.lastSeq]).toEqual([951, 1050]);
    expect(seqs(ring.after(0))).toEqual(Array.from({ length: 100 }, (_, i) => 951 + i));
    expect(seqs(ring.after(1047))).toEqual([1048, 1049, 1050]);
    expect(ring.after(1050)).toEqual([]);
    expect(ring.after(5000)).toEqual([]);
  });

  it('pages with a limit forward from a seq, or from the newest end', () => {
    const ring = new HistoryRing(10);
    for (let s = 1; s <= 25; s++) ring.push(ev(s));
    expect(seqs(ring.after(17, 3))).toEqual([18, 19, 20]);
    expect(seqs(ring.after(0, 2))).toEqual([16, 17]);
    expect(seqs(ring.latest(3))).toEqual([23, 24, 25]);
    expect(seqs(ring.latest())).toHaveLength(10);
    expect(ring.after(17, 0)).toEqual([]);
  });

  it('empties on clear', () => {
    const ring = new HistoryRing(3);
    ring.push(ev(1));
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.lastSeq).toBeUndefined();
  });

  it.each([0, -1, 1.5])('rejects capacity %d', (capacity) => {
    expect(() => new HistoryRing(capacity)).toThrow(RangeError);
  });
});

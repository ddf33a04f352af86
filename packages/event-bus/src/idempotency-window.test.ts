import { describe, expect, it } from 'vitest';
import { IdempotencyWindow } from './idempotency-window.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('IdempotencyWindow', () => {
  it('remembers a result for the window, then forgets it', () => {
    const c = clock();
    const w = new IdempotencyWindow<number>({ windowMs: 5 * 60_000, now: c.now });
    w.set('a', 1);
    c.advance(5 * 60_000 - 1);
    expect(w.get('a')).toBe(1);
    c.advance(1);
    expect(w.get('a')).toBeUndefined();
    expect(w.size).toBe(0);
  });

  it('defaults to the 5 minute window of the contracts', () => {
    expect(new IdempotencyWindow().windowMs).toBe(300_000);
  });

  it('sweeps expired ids in insertion order', () => {
    const c = clock();
    const w = new IdempotencyWindow<string>({ windowMs: 1000, now: c.now });
    w.set('a', 'a');
    c.advance(500);
    w.set('b', 'b');
    c.advance(600);
    expect(w.size).toBe(1);
    expect(w.get('b')).toBe('b');
  });

  it('stays within maxKeys, forgetting the oldest ids first', () => {
    const c = clock();
    const w = new IdempotencyWindow<number>({ windowMs: 60_000, maxKeys: 1000, now: c.now });
    for (let i = 0; i < 5000; i++) w.set(`id-${i}`, i);
    expect(w.size).toBe(1000);
    expect(w.get('id-3999')).toBeUndefined();
    expect(w.get('id-4000')).toBe(4000);
    expect(w.get('id-4999')).toBe(4999);
  });

  it('remembers nothing with a zero window or cap', () => {
    const zero = new IdempotencyWindow<number>({ windowMs: 0 });
    zero.set('a', 1);
    expect(zero.get('a')).toBeUndefined();
    const none = new IdempotencyWindow<number>({ maxKeys: 0 });
    none.set('a', 1);
    expect(none.size).toBe(0);
  });

  it('rejects nonsensical options', () => {
    expect(() => new IdempotencyWindow({ windowMs: -1 })).toThrow(RangeError);
    expect(() => new IdempotencyWindow({ windowMs: Number.NaN })).toThrow(RangeError);
    expect(() => new IdempotencyWindow({ maxKeys: 1.5 })).toThrow(RangeError);
  });

  it('renews an id set again, moving it behind the ids set after its first time', () => {
    const c = clock();
    const w = new IdempotencyWindow<string>({ windowMs: 1000, now: c.now });
    w.set('a', 'first');
    c.advance(100);
    w.set('b', 'b');
    c.advance(400);
    w.set('a', 'second');
    // b (set at +100) expires at +1100; a, renewed at +500, lives until +1500.
    c.advance(601);
    expect(w.get('b')).toBeUndefined();
    expect(w.get('a')).toBe('second');
    expect(w.size).toBe(1);
    c.advance(399);
    expect(w.get('a')).toBeUndefined();
  });

  it('evicts the least recently set id at the cap, not the one set first', () => {
    const w = new IdempotencyWindow<number>({ windowMs: 60_000, maxKeys: 2, now: clock().now });
    w.set('a', 1);
    w.set('b', 2);
    w.set('a', 3);
    w.set('c', 4);
    expect(w.get('b')).toBeUndefined();
    expect([w.get('a'), w.get('c'), w.size]).toEqual([3, 4, 2]);
  });

  it('holds exactly maxKeys ids', () => {
    const w = new IdempotencyWindow<number>({ windowMs: 60_000, maxKeys: 1, now: clock().now });
    w.set('a', 1);
    expect(w.get('a')).toBe(1);
    w.set('b', 2);
    expect([w.get('a'), w.get('b'), w.size]).toEqual([undefined, 2, 1]);
  });

  it('forgets everything on clear', () => {
    const w = new IdempotencyWindow<number>({ now: clock().now });
    w.set('a', 1);
    w.clear();
    expect([w.get('a'), w.size]).toEqual([undefined, 0]);
  });

  it('defaults to remembering at most 100 000 ids', () => {
    expect(new IdempotencyWindow().maxKeys).toBe(100_000);
  });

  it('accepts a zero window and a zero cap, and rejects negative or non-integer caps', () => {
    expect(new IdempotencyWindow({ windowMs: 0 }).windowMs).toBe(0);
    expect(new IdempotencyWindow({ maxKeys: 0 }).maxKeys).toBe(0);
    expect(() => new IdempotencyWindow({ maxKeys: -1 })).toThrow(/maxKeys must be an integer >= 0, got -1/);
    expect(() => new IdempotencyWindow({ maxKeys: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => new IdempotencyWindow({ windowMs: -1 })).toThrow(/windowMs must be >= 0, got -1/);
  });

  it('remembers nothing with a zero window even when the clock steps back', () => {
    const c = clock();
    const w = new IdempotencyWindow<number>({ windowMs: 0, now: c.now });
    w.set('a', 1);
    c.advance(-1);
    expect(w.get('a')).toBeUndefined();
  });
});

// Mutant left alive (Stryker, issue 22): set()'s early return on `maxKeys === 0` → false. The entry is
// then stored and at once evicted by the cap loop (size 1 > maxKeys 0), so nothing observable differs;
// the early return only saves that work.

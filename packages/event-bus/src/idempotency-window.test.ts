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
});

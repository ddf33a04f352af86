import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff, DEFAULT_BACKOFF, fullJitterDelay, resolveBackoff } from './backoff.js';

const options = { minMs: 100, maxMs: 10_000, factor: 2 };

describe('fullJitterDelay', () => {
  it('stays within [0, min(maxMs, minMs * factor^attempt)) for any random value in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const window = Math.min(options.maxMs, options.minMs * options.factor ** attempt);
        const delay = fullJitterDelay(attempt, options, () => r);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(window);
        expect(Number.isInteger(delay)).toBe(true);
      }),
    );
  });

  it('spans the whole window: random 0 gives 0, random near 1 gives nearly the window', () => {
    expect(fullJitterDelay(3, options, () => 0)).toBe(0);
    expect(fullJitterDelay(3, options, () => 0.999_999)).toBe(799);
  });

  it('doubles the window per attempt and caps it at maxMs', () => {
    const half = (attempt: number): number => fullJitterDelay(attempt, options, () => 0.5);
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map(half)).toEqual([50, 100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(half(10_000)).toBe(5000);
  });

  it('gives 0 for every attempt when minMs is 0 (never NaN)', () => {
    expect(fullJitterDelay(5000, { minMs: 0, maxMs: 100, factor: 2 }, () => 0.5)).toBe(0);
  });
});

describe('Backoff', () => {
  it('counts attempts and resets to the first window', () => {
    const backoff = new Backoff(options, () => 0.5);
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([50, 100, 200]);
    expect(backoff.attempt).toBe(3);
    backoff.reset();
    expect(backoff.attempt).toBe(0);
    expect(backoff.next()).toBe(50);
  });
});

describe('resolveBackoff', () => {
  it('fills in the defaults', () => {
    expect(resolveBackoff(undefined)).toEqual(DEFAULT_BACKOFF);
    expect(resolveBackoff({ maxMs: 5000 })).toEqual({ ...DEFAULT_BACKOFF, maxMs: 5000 });
  });

  it('refuses settings that cannot make a schedule', () => {
    expect(() => resolveBackoff({ minMs: -1 })).toThrow(/minMs/);
    expect(() => resolveBackoff({ minMs: 1000, maxMs: 10 })).toThrow(/maxMs/);
    expect(() => resolveBackoff({ factor: 0.5 })).toThrow(/factor/);
    expect(() => resolveBackoff({ maxMs: Number.POSITIVE_INFINITY })).toThrow(/maxMs/);
    // Past setTimeout's 2^31-1 ms limit a delay overflows to 1 ms: refused rather than a reconnect storm.
    expect(() => resolveBackoff({ maxMs: 2 ** 31 })).toThrow(/maxMs must be >= minMs and at most 2147483647/);
  });
});

import { describe, expect, it } from 'vitest';
import { BurstLimiter, IpConnectionCounter } from './rate-limits.js';

describe('BurstLimiter', () => {
  it('allows the rate plus an equal burst, then refuses with a retry delay', async () => {
    const limiter = new BurstLimiter(3, 'test-burst');
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await limiter.take('k'));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, true, false, false]);
    expect(results[7]!.retryAfterMs).toBeGreaterThan(0);
    // Keys are independent.
    expect((await limiter.take('other')).allowed).toBe(true);
  });

  it('rejects a non-positive rate', () => {
    expect(() => new BurstLimiter(0, 'x')).toThrow(RangeError);
  });
});

describe('IpConnectionCounter', () => {
  it('counts per IP and in total, and releases once', () => {
    const counter = new IpConnectionCounter();
    const a = counter.acquire('1.1.1.1');
    const b = counter.acquire('1.1.1.1');
    counter.acquire('2.2.2.2');
    expect([counter.count('1.1.1.1'), counter.total]).toEqual([2, 3]);
    a();
    a();
    expect([counter.count('1.1.1.1'), counter.total]).toEqual([1, 2]);
    b();
    expect(counter.count('1.1.1.1')).toBe(0);
  });
});

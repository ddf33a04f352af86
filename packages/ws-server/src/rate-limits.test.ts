import { describe, expect, it } from 'vitest';
import { BurstLimiter, IpConnectionCounter, TokenBucket } from './rate-limits.js';

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

describe('TokenBucket', () => {
  it('allows the burst at once, then refills at the rate, and says how long to wait', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 20, () => now);
    const first = Array.from({ length: 21 }, () => bucket.take());
    expect(first.filter((w) => w === 0)).toHaveLength(20);
    expect(first[20]).toBe(100);
    now = 250;
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 50]);
    // Never more than the burst, however long it was idle.
    now = 1_000_000;
    expect(Array.from({ length: 25 }, () => bucket.take()).filter((w) => w === 0)).toHaveLength(20);
  });

  it('rejects a non-positive rate or an empty burst', () => {
    expect(() => new TokenBucket(0)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0.5)).toThrow(RangeError);
  });
});

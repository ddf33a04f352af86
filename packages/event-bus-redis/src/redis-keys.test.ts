import { describe, expect, it } from 'vitest';
import { DEFAULT_REDIS_PREFIX, RedisKeys } from './redis-keys.js';

describe('RedisKeys', () => {
  it('puts every key and topic of a channel under the prefix', () => {
    const keys = new RedisKeys('prod:');
    expect(keys.channel('threats')).toEqual({
      head: 'prod:ch:threats:head',
      hist: 'prod:ch:threats:hist',
      order: 'prod:ch:threats:order',
      topic: 'prod:ch:threats:events',
    });
    expect(keys.channel('threats')).toBe(keys.channel('threats'));
    expect([keys.idempotencyIds, keys.idempotencyOrder]).toEqual(['prod:idempotency:ids', 'prod:idempotency:order']);
  });

  it('defaults to the ns: prefix', () => {
    expect(new RedisKeys().prefix).toBe(DEFAULT_REDIS_PREFIX);
    expect(DEFAULT_REDIS_PREFIX).toBe('ns:');
  });
});

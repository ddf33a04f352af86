import { describe, expect, it } from 'vitest';
import { parseRedisTarget } from './redis-url.js';

describe('parseRedisTarget (NS_REDIS_URL)', () => {
  it('takes redis:// and rediss:// URLs as one Redis', () => {
    expect(parseRedisTarget('redis://:pw@r:6379/2')).toEqual({ cluster: false, url: 'redis://:pw@r:6379/2' });
    expect(parseRedisTarget('rediss://r')).toEqual({ cluster: false, url: 'rediss://r' });
  });

  it('takes redis+cluster:// with credentials, IPv6 and TLS as the seed nodes of a Redis Cluster', () => {
    expect(parseRedisTarget('redis+cluster://app:p%40ss@10.0.0.1:7000,10.0.0.2:7001/')).toEqual({
      cluster: true,
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      username: 'app',
      password: 'p@ss',
      tls: false,
    });
    expect(parseRedisTarget('rediss+cluster://[::1]:7000')).toEqual({ cluster: true, nodes: [{ host: '::1', port: 7000 }], tls: true });
  });

  it.each([
    ['http://x', 'redis+cluster://'],
    ['redis+cluster://', 'names no node'],
    ['redis+cluster://a:1,b', '"b" is not host:port'],
    ['redis+cluster://a:99999', 'port 99999'],
    ['not a url', 'redis+cluster://'],
  ])('refuses %s, saying what is wrong', (url, says) => {
    expect(() => parseRedisTarget(url)).toThrow(says);
  });

  it('never repeats a password in its errors', () => {
    expect(() => parseRedisTarget('redis+cluster://u:secret-pw@a:1,b')).toThrow(/^(?!.*secret-pw)/);
  });
});

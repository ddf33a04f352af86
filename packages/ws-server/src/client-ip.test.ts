import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientIp, compileTrust, normalizeIp } from './client-ip.js';

const req = (peer: string, xff?: string | string[]) =>
  ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

describe('clientIp', () => {
  it('uses the socket peer when no proxy is trusted', () => {
    expect(clientIp(req('10.0.0.1', '1.2.3.4'), compileTrust(false))).toBe('10.0.0.1');
  });

  it('walks X-Forwarded-For right to left past trusted proxies only', () => {
    const trusted = compileTrust(['10.0.0.0/8', 'loopback']);
    expect(clientIp(req('10.0.0.1', '6.6.6.6, 1.2.3.4, 10.0.0.2'), trusted)).toBe('1.2.3.4');
    expect(clientIp(req('127.0.0.1', '1.2.3.4'), trusted)).toBe('1.2.3.4');
    expect(clientIp(req('8.8.8.8', '1.2.3.4'), trusted)).toBe('8.8.8.8');
    expect(clientIp(req('10.0.0.1', ['1.2.3.4', '10.0.0.9']), trusted)).toBe('1.2.3.4');
    expect(clientIp(req('10.0.0.1', 'garbage, 10.0.0.9'), trusted)).toBe('10.0.0.9');
    expect(clientIp(req('10.0.0.1'), trusted)).toBe('10.0.0.1');
  });

  it('takes the leftmost address when every proxy is trusted', () => {
    expect(clientIp(req('10.0.0.1', ' 1.2.3.4 , 5.6.7.8'), compileTrust(true), true)).toBe('1.2.3.4');
    expect(clientIp(req('10.0.0.1', 'junk'), compileTrust(true), true)).toBe('10.0.0.1');
  });

  it('normalizes IPv4-mapped IPv6 peers and supports IPv6 blocks', () => {
    expect(normalizeIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeIp('::1')).toBe('::1');
    const trusted = compileTrust(['2001:db8::/32', '::1']);
    expect(clientIp(req('2001:db8::5', '2001:db9::1'), trusted)).toBe('2001:db9::1');
    expect(clientIp(req('::1', '1.2.3.4'), trusted)).toBe('1.2.3.4');
  });

  it('rejects entries that are not addresses or blocks', () => {
    expect(() => compileTrust(['proxy.local'])).toThrow(RangeError);
    expect(() => compileTrust(['10.0.0.0/40'])).toThrow(RangeError);
    expect(compileTrust([])('1.2.3.4')).toBe(false);
  });
});

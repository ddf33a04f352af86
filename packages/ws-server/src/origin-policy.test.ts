import { describe, expect, it } from 'vitest';
import { compileOriginPolicy, isUnrebindableHost } from './origin-policy.js';

describe('compileOriginPolicy', () => {
  it('lets requests without Origin (non-browser clients) through', () => {
    expect(compileOriginPolicy(undefined)(undefined, 'gw:8080')).toBe(true);
  });

  it('allows listed origins, compared by scheme, host and port', () => {
    const allowed = compileOriginPolicy(['https://Console.Example.com', 'http://localhost:3000']);
    expect(allowed('https://console.example.com', 'gw')).toBe(true);
    expect(allowed('https://console.example.com:443', 'gw')).toBe(true);
    expect(allowed('http://console.example.com', 'gw')).toBe(false);
    expect(allowed('http://localhost:3000', 'gw')).toBe(true);
    expect(allowed('http://localhost:3001', 'gw')).toBe(false);
  });

  it('allows the same origin as the request host when that host is an IP address or localhost', () => {
    const allowed = compileOriginPolicy([]);
    expect(allowed('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true);
    expect(allowed('http://[::1]:8080', '[::1]:8080')).toBe(true);
    expect(allowed('http://localhost:8080', 'localhost:8080')).toBe(true);
    expect(allowed('http://10.1.2.3:8080', '10.1.2.3:8080')).toBe(true);
    expect(allowed('http://127.0.0.1:8080', '127.0.0.1:9090')).toBe(false);
    expect(allowed('http://127.0.0.1:8080', undefined)).toBe(false);
  });

  it('does not trust a named Host it was not configured with (DNS rebinding)', () => {
    // A page on rebind.attacker.example whose name now resolves to the gateway's address.
    expect(compileOriginPolicy([])('http://rebind.attacker.example:8080', 'rebind.attacker.example:8080')).toBe(false);
    expect(compileOriginPolicy([])('http://localhost.attacker.example:8080', 'localhost.attacker.example:8080')).toBe(false);
    // A named deployment lists its console's origin.
    expect(compileOriginPolicy(['https://gw.example.com'])('https://gw.example.com', 'gw.example.com')).toBe(true);
  });

  it('refuses opaque and malformed origins', () => {
    const allowed = compileOriginPolicy(['https://a.example']);
    expect(allowed('null', 'gw')).toBe(false);
    expect(allowed('not a url', 'gw')).toBe(false);
  });

  it('allows everything only for an explicit "*"', () => {
    expect(compileOriginPolicy('*')('https://x.example', 'gw')).toBe(true);
    expect(compileOriginPolicy(['*'])('https://x.example', 'gw')).toBe(true);
  });

  it('rejects a configured entry that is not an origin', () => {
    expect(() => compileOriginPolicy(['console.example.com'])).toThrow(RangeError);
  });
});

describe('isUnrebindableHost', () => {
  it('is true for IP literals and localhost, with or without a port, and false for names', () => {
    for (const host of ['127.0.0.1', '127.0.0.1:8080', '[::1]:80', 'LOCALHOST:1', '192.0.2.7:8080']) expect(isUnrebindableHost(host), host).toBe(true);
    for (const host of ['gw.example.com', 'localhost.evil.example:80', 'x', '', 'bad host']) expect(isUnrebindableHost(host), host).toBe(false);
  });
});

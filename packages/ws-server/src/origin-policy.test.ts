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

  it('rejects a configured entry that is not an origin, naming it', () => {
    expect(() => compileOriginPolicy(['console.example.com'])).toThrow(
      new RangeError('allowedOrigins: "console.example.com" is not an origin like https://host[:port]'),
    );
  });

  it('rejects a configured entry whose origin is opaque, so that no opaque origin is ever allowed', () => {
    // file: and data: URLs parse, but their origin serializes as "null": listing one must not allow
    // every sandboxed or file:// page.
    expect(() => compileOriginPolicy(['file:///srv/console.html'])).toThrow(new RangeError('allowedOrigins: "file:///srv/console.html" is not an origin like https://host[:port]'));
    expect(() => compileOriginPolicy(['data:text/html,hi'])).toThrow(RangeError);
    expect(compileOriginPolicy(['https://a.example'])('data:text/html,hi', 'gw')).toBe(false);
  });

  it('accepts configured entries surrounded by any whitespace, including no-break spaces pasted from a page', () => {
    // The URL parser itself strips ASCII spaces only; trim() also removes U+00A0 and U+2003.
    const allowed = compileOriginPolicy(['\u00a0https://console.example.com\u00a0', '\u2003http://10.0.0.1:3000 ']);
    expect(allowed('https://console.example.com', 'gw')).toBe(true);
    expect(allowed('http://10.0.0.1:3000', 'gw')).toBe(true);
  });

  // Mutants left alive because no input can tell them apart (Stryker, issue 22):
  // - normalize: `u.origin.toLowerCase()` → toUpperCase() or no call: URL serializes scheme and host in
  //   lower case already, and both sides of every comparison go through normalize (the Host comparison
  //   re-parses with new URL, which lowercases again).
  // - normalize: the catch block emptied: it returns undefined either way.
  // - `allowed === '*' ? ['*'] : allowed ?? []` → always the second branch: for the string '*',
  //   `'*'.includes('*')` is true too, so `any` is the same.
});

describe('isUnrebindableHost', () => {
  it('is true for IP literals and localhost, with or without a port, and false for names', () => {
    for (const host of ['127.0.0.1', '127.0.0.1:8080', '[::1]:80', 'LOCALHOST:1', '192.0.2.7:8080']) expect(isUnrebindableHost(host), host).toBe(true);
    for (const host of ['gw.example.com', 'localhost.evil.example:80', 'x', '', 'bad host']) expect(isUnrebindableHost(host), host).toBe(false);
  });
});

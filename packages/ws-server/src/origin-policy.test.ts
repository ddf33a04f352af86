import { describe, expect, it } from 'vitest';
import { compileOriginPolicy } from './origin-policy.js';

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

  it('allows the same origin as the request host', () => {
    const allowed = compileOriginPolicy([]);
    expect(allowed('http://gw.example:8080', 'gw.example:8080')).toBe(true);
    expect(allowed('http://gw.example:8080', undefined)).toBe(false);
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

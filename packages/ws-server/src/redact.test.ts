import { describe, expect, it } from 'vitest';
import { isCredentialName, redactUrl } from './redact.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

describe('redactUrl', () => {
  it('replaces credential query values and keeps everything else', () => {
    expect(redactUrl('/ws?token=abc.def.ghi&subscribe=threats')).toBe('/ws?token=[REDACTED]&subscribe=threats');
    expect(redactUrl('/ws?subscribe=a&access_token=x#frag')).toBe('/ws?subscribe=a&access_token=[REDACTED]#frag');
    expect(redactUrl('/ws?TOKEN=x')).toBe('/ws?TOKEN=[REDACTED]');
    expect(redactUrl('/ws?subscribe=threats,alerts&since=12')).toBe('/ws?subscribe=threats,alerts&since=12');
    expect(redactUrl('/ws')).toBe('/ws');
  });

  it('decodes names before deciding, as the server does (?%74oken= is ?token=)', () => {
    expect(redactUrl(`/ws?%74oken=${JWT}`)).toBe('/ws?token=[REDACTED]');
    expect(redactUrl('/ws?%54%4F%4B%45%4E=secret-value')).toBe('/ws?TOKEN=[REDACTED]');
    expect(redactUrl('/ws?api-key=k1&apiKey=k2&x%2Dapi%2Dkey=k3')).toBe('/ws?api-key=[REDACTED]&apiKey=[REDACTED]&x-api-key=[REDACTED]');
    // An encoded value is redacted too (its decoded form is what a log reader would recover).
    expect(redactUrl(`/ws?token=${encodeURIComponent(JWT).replace(/e/g, '%65')}`)).toBe('/ws?token=[REDACTED]');
  });

  it('redacts a JWT under any name and in the path, encoded or not', () => {
    expect(redactUrl(`/ws?q=${JWT}`)).toBe('/ws?q=[REDACTED]');
    expect(redactUrl(`/v1/x/${JWT.replace(/\./g, '%2E')}/y`)).toBe('/v1/x/[REDACTED]/y');
  });

  it('never throws on malformed escapes', () => {
    expect(redactUrl('/ws?token=%zz&a=%E0%A4%A')).toMatch(/^\/ws\?token=\[REDACTED\]&a=/);
    expect(redactUrl('/%')).toBe('/%');
  });

  it('recognises credential names in their usual spellings', () => {
    for (const n of ['token', 'access_token', 'id-token', 'apikey', 'API_KEY', 'key', 'secret', 'password', 'auth', 'jwt', 'Authorization']) expect(isCredentialName(n), n).toBe(true);
    for (const n of ['subscribe', 'since', 'channel', 'filter']) expect(isCredentialName(n), n).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact.js';

describe('redactUrl', () => {
  it('replaces credential query values and keeps everything else', () => {
    expect(redactUrl('/ws?token=abc.def.ghi&subscribe=threats')).toBe('/ws?token=[REDACTED]&subscribe=threats');
    expect(redactUrl('/ws?subscribe=a&access_token=x#frag')).toBe('/ws?subscribe=a&access_token=[REDACTED]#frag');
    expect(redactUrl('/ws?TOKEN=x')).toBe('/ws?TOKEN=[REDACTED]');
    expect(redactUrl('/ws?tokens=x')).toBe('/ws?tokens=x');
    expect(redactUrl('/ws')).toBe('/ws');
  });
});

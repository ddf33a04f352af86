import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(): { stream: Writable; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return { stream, text: () => out };
}

describe('createLogger', () => {
  it('redacts ?token= in URLs and authorization headers, also in child loggers', () => {
    const { stream, text } = capture();
    const logger = createLogger('info', stream);
    logger.info({ req: { method: 'GET', url: '/ws?subscribe=threats&token=eyJ.secret.sig', headers: { authorization: 'Bearer k-secret' } } }, 'upgrade');
    logger.child({ component: 'ws-server' }).info({ url: '/ws?token=eyJ.other.sig' }, 'connection');
    logger.info({ headers: { authorization: 'Bearer k-secret2', cookie: 'sid=1' } }, 'raw headers');
    const out = text();
    expect(out).not.toContain('secret');
    expect(out).not.toContain('eyJ');
    expect(out).not.toContain('sid=1');
    expect(out).toContain('token=[REDACTED]');
    expect(out).toContain('subscribe=threats');
  });
});

describe('log format', () => {
  it('writes JSON lines by default to a stream that is not a terminal', () => {
    const { stream, text } = capture();
    createLogger('info', stream).info({ engine: 'memory' }, 'engine ready');
    expect(JSON.parse(text().trim())).toMatchObject({ level: 30, msg: 'engine ready', engine: 'memory', service: 'ns-gateway' });
  });

  it('writes one readable line per entry with format pretty, still redacting credentials', () => {
    const { stream, text } = capture();
    const logger = createLogger('info', { destination: stream, format: 'pretty' });
    logger.warn({ url: '/ws?token=eyJ.secret.sig' }, 'upgrade refused');
    const out = text();
    expect(() => JSON.parse(out)).toThrow();
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: upgrade refused\n/);
    expect(out).toContain('token=[REDACTED]');
    expect(out).not.toContain('secret');
  });

  it('writes JSON with format json', () => {
    const { stream, text } = capture();
    createLogger('info', { destination: stream, format: 'json' }).info('x');
    expect(JSON.parse(text().trim()).msg).toBe('x');
  });
});

import { describe, expect, it } from 'vitest';
import { EventFrameCache, controlFrame, textFrame } from './frame-builder.js';

/** Decodes one unmasked server frame: [fin+opcode byte, payload text]. */
function decode(frame: Buffer): { first: number; masked: boolean; text: string } {
  let len = frame[1]! & 0x7f;
  let offset = 2;
  if (len === 126) {
    len = frame.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    len = Number(frame.readBigUInt64BE(2));
    offset = 10;
  }
  expect(frame.length).toBe(offset + len);
  return { first: frame[0]!, masked: (frame[1]! & 0x80) !== 0, text: frame.subarray(offset).toString('utf8') };
}

describe('textFrame', () => {
  it.each([0, 1, 125, 126, 65_535, 65_536, 70_000])('frames a %i-byte payload as one final unmasked text frame', (n) => {
    const text = 'x'.repeat(n);
    const d = decode(textFrame(text));
    expect(d.first).toBe(0x81);
    expect(d.masked).toBe(false);
    expect(d.text).toBe(text);
  });

  it('counts UTF-8 bytes, not UTF-16 code units', () => {
    expect(decode(textFrame('é€😀')).text).toBe('é€😀');
  });
});

describe('controlFrame', () => {
  it('serializes a control reply that is never dropped', () => {
    const f = controlFrame({ type: 'pong', server_time: 1 });
    expect(JSON.parse(decode(f.bytes).text)).toEqual({ type: 'pong', server_time: 1 });
    expect(f).toMatchObject({ channel: null, delivery: 'control' });
  });
});

describe('EventFrameCache', () => {
  const event = (channel: 'status' | 'threats', data: Record<string, unknown>) => ({
    channel,
    envelope: { data },
    json: JSON.stringify({ channel, data }),
  });

  it('builds each event frame once and shares it', () => {
    const cache = new EventFrameCache();
    const a = event('threats', { n: 1 });
    const b = event('threats', { n: 2 });
    const fa = cache.frameOf(a);
    expect(cache.frameOf(a)).toBe(fa);
    const fb = cache.frameOf(b);
    expect(fb).not.toBe(fa);
    expect(cache.frameOf(a)).toBe(fa);
    expect(fa).toMatchObject({ channel: 'threats', delivery: 'lossless', key: undefined });
  });

  it('carries the latest-per-key key of status and metrics events', () => {
    const f = new EventFrameCache().frameOf(event('status', { component: 'db' }));
    expect(f).toMatchObject({ delivery: 'latest', key: 'db' });
  });
});

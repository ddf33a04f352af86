import { describe, expect, it } from 'vitest';
import { FrameEncoder, WS_TEXT_FORMAT, textFrame, wsFrames } from './frame-builder.js';

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

describe('FrameEncoder.control', () => {
  it('serializes a control reply that is never dropped', () => {
    const f = wsFrames.control({ type: 'pong', server_time: 1 });
    expect(JSON.parse(decode(f.bytes).text)).toEqual({ type: 'pong', server_time: 1 });
    expect(f).toMatchObject({ channel: null, delivery: 'control' });
  });
});

describe('FrameEncoder', () => {
  const event = (channel: 'status' | 'threats', data: Record<string, unknown>) => ({
    channel,
    seq: 1,
    envelope: { type: channel === 'status' ? ('status.update' as const) : ('threat.new' as const), epoch: 'e', data },
    json: JSON.stringify({ channel, data }),
  });

  it('builds each event frame once and shares it', () => {
    const cache = new FrameEncoder(WS_TEXT_FORMAT);
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
    const f = new FrameEncoder(WS_TEXT_FORMAT).frameOf(event('status', { component: 'db' }));
    expect(f).toMatchObject({ delivery: 'latest', key: 'db' });
  });
});

describe('FrameEncoder with another format', () => {
  it('frames each event in its own format, once per encoder, independently of the WebSocket frames', () => {
    let built = 0;
    const sse = new FrameEncoder({
      event: (e) => {
        built++;
        return Buffer.from(`id: ${e.envelope.epoch}:${e.seq}\ndata: ${e.json}\n\n`);
      },
      control: (m) => Buffer.from(`event: ${m.type}\ndata: ${JSON.stringify(m)}\n\n`),
    });
    const e = { channel: 'threats' as const, seq: 7, envelope: { type: 'threat.new' as const, epoch: 'ep', data: {} }, json: '{"seq":7}' };
    const ws = wsFrames.frameOf(e);
    const a = sse.frameOf(e);
    expect(wsFrames.frameOf(e)).toBe(ws);
    expect(sse.frameOf(e)).toBe(a);
    expect(built).toBe(1);
    expect(a.bytes.toString()).toBe('id: ep:7\ndata: {"seq":7}\n\n');
    expect(decode(ws.bytes).text).toBe('{"seq":7}');
    expect(sse.control({ type: 'pong', server_time: 1 }).bytes.toString()).toBe('event: pong\ndata: {"type":"pong","server_time":1}\n\n');
  });
});

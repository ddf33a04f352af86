import { CLOSE_CODES, ERROR_CODES, MAX_JSON_DEPTH } from '@ns/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientFrame, type GatewayUnderTest, launchGateway, type Msg, OPCODE, RawWs, stopAllGateways } from '@ns/testkit';
import { publish, threatData } from './support/http.js';

// Bad input on /ws, against the real gateway process: every case gets the code docs/protocol.md names (or RFC 6455)
// names, and nothing a client sends crashes the process or pollutes its prototypes.

let gw: GatewayUnderTest;
const clients: RawWs[] = [];

beforeAll(async () => {
  gw = await launchGateway({ env: { NS_AUTH: 'none', NS_CLIENT_MESSAGE_RATE: '10000' }, inspect: true });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});
afterAll(async () => {
  await stopAllGateways();
});

async function open(path = '/ws'): Promise<RawWs> {
  const c = await RawWs.connect(gw.port, { path });
  clients.push(c);
  return c;
}

/** Sends raw text and returns the error reply it caused; a ping afterwards proves the session survived. */
async function errorFor(c: RawWs, text: string): Promise<Msg> {
  const from = c.messages.length;
  c.write(clientFrame(OPCODE.TEXT, text));
  const error = await c.next((m) => m.type === 'error', from);
  expect((await c.request({ type: 'ping' })).type).toBe('pong');
  return error;
}

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('/ws: malformed frames and messages', () => {
  it('fails a text frame that is not UTF-8 with 1007, as RFC 6455 §8.1 requires', async () => {
    const c = await open();
    c.write(clientFrame(OPCODE.TEXT, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])));
    expect(await c.closed).toBe(1007);
  });

  it('answers text that is not JSON with invalid_json and keeps the connection', async () => {
    const c = await open();
    for (const text of ['{"type":', 'ping', '', '{"type":"ping"}}', '\u0000', 'NaN']) {
      expect((await errorFor(c, text)).code, JSON.stringify(text)).toBe('invalid_json');
    }
  });

  it('answers JSON nested deeper than MAX_JSON_DEPTH with invalid_message naming where, without overflowing the stack', async () => {
    const c = await open();
    const deep = nested(30_000); // 60 KB, within max_message_bytes
    for (const text of [
      `{"type":"ping","x":${deep}}`,
      `{"type":"ping","constructor":${deep}}`,
      `{"type":"subscribe","channel":"status","filter":{"components":${deep}}}`,
    ]) {
      const error = await errorFor(c, text);
      expect(error.code).toBe('invalid_message');
      expect(error.message).toContain(`nested deeper than ${MAX_JSON_DEPTH}`);
    }
    // Exactly at the limit is fine as JSON; the message is then judged by its schema.
    expect((await errorFor(c, `{"type":"ping","x":${nested(MAX_JSON_DEPTH - 1)}}`)).message).toMatch(/unknown field "x"/);
  });

  it('rejects non-finite and oversized numbers by schema', async () => {
    const c = await open();
    for (const text of [
      '{"type":"subscribe","channel":"threats","filter":{"min_score":1e999}}',
      `{"type":"subscribe","channel":"threats","since":{"epoch":"e","seq":${'9'.repeat(400)}}}`,
      '{"type":"subscribe","channel":"threats","since":{"epoch":"e","seq":1e300}}',
      '{"type":"subscribe","channel":"threats","since":{"epoch":"e","seq":-1}}',
    ]) {
      expect((await errorFor(c, text)).code, text.slice(0, 80)).toBe('invalid_message');
    }
  });

  it('never reflects a huge string back: ids over 128 chars are not echoed, names are cut', async () => {
    const c = await open();
    const huge = 'x'.repeat(60_000);
    const byId = await errorFor(c, JSON.stringify({ type: 'nope', id: huge }));
    expect(byId.code).toBe('unknown_type');
    expect(byId.id).toBeUndefined();
    const byChannel = await errorFor(c, JSON.stringify({ type: 'subscribe', channel: huge }));
    expect(byChannel.code).toBe('unknown_channel');
    expect(JSON.stringify(byChannel).length).toBeLessThan(1_000);
    expect(JSON.stringify(await errorFor(c, JSON.stringify({ type: huge }))).length).toBeLessThan(1_000);
  });

  it('answers unknown message types with unknown_type and unknown channels with unknown_channel', async () => {
    const c = await open();
    expect(await c.request({ type: 'publish', data: {} })).toMatchObject({ type: 'error', code: 'unknown_type' });
    expect(await c.request({ type: 'subscribe', channel: 'secrets' })).toMatchObject({ type: 'error', code: 'unknown_channel' });
    expect(await c.request({ type: 'unsubscribe', channel: '../alerts' })).toMatchObject({ type: 'error', code: 'unknown_channel' });
    const auto = await open('/ws?subscribe=threats,nope,__proto__');
    expect(await auto.next((m) => m.type === 'subscribed')).toMatchObject({ channel: 'threats' });
    // Refused together, in one error.
    const unknown = auto.messages.filter((m) => m.code === 'unknown_channel');
    expect(unknown).toHaveLength(1);
    expect(unknown[0]?.details).toEqual({ channels: ['nope', '__proto__'], count: 2 });
  });

  it('refuses __proto__ and constructor.prototype keys anywhere in a message, and the gateway stays unpolluted', async () => {
    const c = await open();
    for (const text of [
      '{"type":"ping","__proto__":{"polluted":"yes"}}',
      '{"type":"subscribe","channel":"threats","filter":{"__proto__":{"polluted":"yes"}}}',
      '{"type":"subscribe","channel":"threats","filter":{"constructor":{"prototype":{"polluted":"yes"}}}}',
      '{"type":"subscribe","channel":"threats","since":{"epoch":"e","seq":1,"__proto__":{"polluted":"yes"}}}',
      '{"type":"auth","token":"t","constructor":{"prototype":{"polluted":"yes"}}}',
    ]) {
      expect((await errorFor(c, text)).code, text).toBe('invalid_json');
    }
    // A key named like a prototype property but harmless is judged by the schema as usual.
    expect((await errorFor(c, '{"type":"ping","constructor":"x"}')).code).toBe('invalid_message');
    expect(await gw.inspector?.pollutedKeys()).toEqual([]);
    expect(await gw.inspector?.evaluate('({}).polluted')).toBeUndefined();
  });

  it('every error reply carries a code from ERROR_CODES', async () => {
    const c = await open();
    for (const text of ['x', '{"type":1}', '{"type":"subscribe"}', '[]', '"ping"', '{"type":"ping","id":{}}']) await errorFor(c, text);
    const codes = c.messages.filter((m) => m.type === 'error').map((m) => m.code as string);
    expect(codes.length).toBe(6);
    for (const code of codes) expect(Object.keys(ERROR_CODES)).toContain(code);
  });
});

describe('/ws: frames at the protocol level', () => {
  it('answers a binary frame with invalid_message, and closes with 4000 after ten invalid frames in a row', async () => {
    const c = await open();
    const from = c.messages.length;
    c.write(clientFrame(OPCODE.BINARY, '{"type":"ping"}'));
    expect(await c.next((m) => m.type === 'error', from)).toMatchObject({ code: 'invalid_message' });
    for (let i = 0; i < 9; i++) c.write(clientFrame(OPCODE.BINARY, Buffer.from([i])));
    expect(await c.closed).toBe(CLOSE_CODES.PROTOCOL_ABUSE);
  });

  it('closes with 1009 for a frame over max_message_bytes, and for a length header alone that claims too much', async () => {
    const big = await open();
    big.write(clientFrame(OPCODE.TEXT, Buffer.alloc(65_537, 0x20)));
    expect(await big.closed).toBe(CLOSE_CODES.TOO_BIG);
    const liar = await open();
    const header = Buffer.alloc(14);
    header[0] = 0x81;
    header[1] = 0xff;
    header.writeBigUInt64BE(2n ** 62n, 2);
    liar.write(header);
    expect(await liar.closed).toBe(CLOSE_CODES.TOO_BIG);
  });

  it('closes with 1009 when the fragments of one message add up to more than the limit', async () => {
    const c = await open();
    c.write(clientFrame(OPCODE.TEXT, '{"type":"ping","pad":"', { fin: false }));
    for (let i = 0; i < 100; i++) c.write(clientFrame(OPCODE.CONTINUATION, Buffer.alloc(1_000, 0x61), { fin: false }));
    expect(await c.closed).toBe(CLOSE_CODES.TOO_BIG);
  });

  it('closes a flood of tiny or empty continuation frames with 1008 instead of buffering them', async () => {
    const tiny = await open();
    tiny.write(clientFrame(OPCODE.TEXT, '{"type":', { fin: false }));
    tiny.write(Buffer.concat(Array.from({ length: 5_000 }, () => clientFrame(OPCODE.CONTINUATION, ' ', { fin: false }))));
    expect(await tiny.closed).toBe(CLOSE_CODES.POLICY);
    const empty = await open();
    empty.write(clientFrame(OPCODE.TEXT, '{"type":', { fin: false }));
    empty.write(Buffer.concat(Array.from({ length: 200_000 }, () => clientFrame(OPCODE.CONTINUATION, '', { fin: false }))));
    expect(await empty.closed).toBe(CLOSE_CODES.POLICY);
  });

  it('still accepts a message in a few fragments, with a ping between them', async () => {
    const c = await open();
    const from = c.messages.length;
    c.write(clientFrame(OPCODE.TEXT, '{"type":"pi', { fin: false }));
    c.write(clientFrame(OPCODE.PING, 'hb'));
    c.write(clientFrame(OPCODE.CONTINUATION, 'ng","id":"frag', { fin: false }));
    c.write(clientFrame(OPCODE.CONTINUATION, 'mented"}'));
    expect(await c.next((m) => m.id === 'fragmented', from)).toMatchObject({ type: 'pong' });
  });

  it('fails unmasked client frames and stray continuations with 1002 (protocol error)', async () => {
    const unmasked = await open();
    unmasked.write(clientFrame(OPCODE.TEXT, '{"type":"ping"}', { mask: false }));
    expect(await unmasked.closed).toBe(1002);
    const stray = await open();
    stray.write(clientFrame(OPCODE.CONTINUATION, 'x'));
    expect(await stray.closed).toBe(1002);
  });
});

describe('/ws: after all of the above', () => {
  it('still serves: healthy, and a new client subscribes and receives', async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    const c = await open();
    expect(await c.request({ type: 'subscribe', channel: 'threats' })).toMatchObject({ type: 'subscribed' });
    const { body } = await publish(gw.url, { type: 'threat.new', data: threatData(1) });
    expect(await c.next((m) => m.id === body.results[0].id)).toMatchObject({ type: 'threat.new', channel: 'threats' });
    expect(gw.child.exitCode).toBeNull();
  });
});

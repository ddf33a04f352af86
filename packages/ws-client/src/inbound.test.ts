import { describe, expect, it } from 'vitest';
import { threat, welcome } from '../test/support/fake-websocket.js';
import { classifyFrame } from './inbound.js';

describe('classifyFrame', () => {
  it('classifies control messages by type', () => {
    expect(classifyFrame(JSON.stringify(welcome()))).toMatchObject({ kind: 'control', message: { type: 'welcome' } });
    const subscribed = { type: 'subscribed', channel: 'threats', epoch: 'e', seq: 3, recovered: true, replayed: 0 };
    expect(classifyFrame(JSON.stringify(subscribed))).toEqual({ kind: 'control', message: subscribed });
    expect(classifyFrame('{"type":"pong","server_time":1}')).toMatchObject({ kind: 'control' });
    expect(classifyFrame('{"type":"auth_expiring","expires_at":1764115300}')).toMatchObject({ kind: 'control' });
  });

  it('classifies events by their dotted type and the envelope fields the client relies on', () => {
    const event = threat(42);
    expect(classifyFrame(JSON.stringify(event))).toEqual({ kind: 'event', event });
  });

  it('reports frames it cannot use, without throwing', () => {
    const reasons = [
      new ArrayBuffer(2),
      'not json',
      '[1,2]',
      'null',
      '{"no":"type"}',
      '{"type":"hello"}',
      '{"type":"subscribed","channel":"threats"}',
      '{"type":"error","code":"forbidden"}',
      JSON.stringify({ ...threat(1), seq: '1' }),
      JSON.stringify({ ...threat(1), seq: -1 }),
      JSON.stringify({ ...threat(1), data: null }),
    ].map((frame) => classifyFrame(frame));
    for (const r of reasons) expect(r.kind).toBe('invalid');
    expect(reasons[0]).toEqual({ kind: 'invalid', reason: expect.stringMatching(/binary/) });
    expect(reasons[5]).toEqual({ kind: 'invalid', reason: 'unknown message type "hello"' });
  });

  it('does not let a __proto__ key reach the prototype', () => {
    const frame = classifyFrame('{"type":"pong","server_time":1,"__proto__":{"polluted":true}}');
    expect(frame.kind).toBe('control');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

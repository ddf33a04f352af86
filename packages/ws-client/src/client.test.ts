import type { ChannelEvent } from '@ns/contracts';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { ANALYST, fakeWebSocket, threat, welcome, type FakeSocket } from '../test/support/fake-websocket.js';
import type { NsClientError } from './client-error.js';
import { createClient } from './client.js';
import type { ClientOptions, NsClient, StateChange } from './types.js';

// The reconnect schedule under fake timers: the test plays the gateway through a scripted transport.

const BACKOFF = { minMs: 100, maxMs: 1000, factor: 2 };

let client: NsClient | undefined;
let fake: ReturnType<typeof fakeWebSocket>;
let states: StateChange[];
let errors: NsClientError[];

function start(options: Partial<ClientOptions> = {}): NsClient {
  client = createClient({
    url: 'ws://gateway.test/ws',
    WebSocket: fake.WebSocket,
    backoff: BACKOFF,
    random: () => 0.5,
    pingIntervalMs: 0,
    ...options,
  });
  client.on('state', (s) => states.push(s));
  client.on('error', (e) => errors.push(e));
  return client;
}

/** Plays a gateway accepting the connection (anonymous, or answering the auth frame). */
function accept(socket: FakeSocket): void {
  socket.serverOpen();
  socket.serverSend(welcome());
  const auth = socket.sentOfType('auth')[0];
  if (auth !== undefined) socket.serverSend({ type: 'authenticated', id: auth.id, principal: ANALYST, expires_at: null });
}

/** Lets the scheduled reconnect run; returns the delay that was scheduled. */
async function expectRetryAfter(delayMs: number): Promise<void> {
  const before = fake.sockets.length;
  expect(states.at(-1)).toMatchObject({ state: 'reconnecting', delayMs });
  if (delayMs > 0) {
    await vi.advanceTimersByTimeAsync(delayMs - 1);
    expect(fake.sockets.length).toBe(before);
  }
  await vi.advanceTimersByTimeAsync(1);
  expect(fake.sockets.length).toBe(before + 1);
}

beforeEach(() => {
  vi.useFakeTimers();
  fake = fakeWebSocket();
  states = [];
  errors = [];
});

afterEach(() => {
  client?.close();
  client = undefined;
  vi.useRealTimers();
});

describe('createClient: connecting', () => {
  it('opens a socket at once, offering the ns.v1 subprotocol, and is open after welcome', () => {
    start();
    expect(client?.state).toBe('connecting');
    expect(fake.sockets).toHaveLength(1);
    expect(fake.last().url).toBe('ws://gateway.test/ws');
    expect(fake.last().protocols).toEqual(['ns.v1']);
    accept(fake.last());
    expect(client?.state).toBe('open');
    expect(states).toEqual([{ state: 'open', previous: 'connecting', transport: 'websocket' }]);
  });

  it('sends the token as the first frame and opens only after authenticated', () => {
    start({ token: 'jwt-1' });
    const socket = fake.last();
    client?.subscribe('threats', () => {});
    socket.serverOpen();
    expect(socket.sent[0]).toMatchObject({ type: 'auth', token: 'jwt-1' });
    socket.serverSend(welcome());
    expect(client?.state).toBe('connecting');
    expect(socket.sentOfType('subscribe')).toHaveLength(0);
    socket.serverSend({ type: 'authenticated', id: socket.sent[0]?.id, principal: ANALYST, expires_at: null });
    expect(client?.state).toBe('open');
    expect(socket.sentOfType('subscribe')).toEqual([{ type: 'subscribe', id: expect.any(String), channel: 'threats' }]);
  });

  it('asks getToken() for the token of each attempt', async () => {
    const getToken = vi.fn(async () => 'jwt-async');
    start({ getToken });
    await vi.advanceTimersByTimeAsync(0);
    fake.last().serverOpen();
    expect(fake.last().sent[0]).toMatchObject({ type: 'auth', token: 'jwt-async' });
    expect(getToken).toHaveBeenCalledTimes(1);
  });

  it('redacts a credential under an encoded or other name in the reported URL (?%74oken=, access_token, user:pass@)', async () => {
    let calls = 0;
    const Fails = class extends fake.WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        calls += 1;
        if (calls > 1) throw new SyntaxError('blocked');
        super(url, protocols);
      }
    };
    start({ url: 'wss://user:pw@gw/ws?%74oken=secret-jwt&Access-Token=t2&subscribe=threats,alerts&fail=1', WebSocket: Fails });
    fake.last().serverClose(1006);
    await vi.advanceTimersByTimeAsync(50);
    const message = errors.map((e) => e.message).join('\n');
    expect(message).toContain('wss://[redacted]@gw/ws?token=[redacted]&Access-Token=[redacted]&subscribe=threats,alerts&fail=1');
    expect(message).not.toMatch(/secret-jwt|t2|pw/);
  });

  it('stays closed and reports connect_failed, with a URL token redacted, when the WebSocket cannot be created', async () => {
    let calls = 0;
    const FailsOnRetry = class extends fake.WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        calls += 1;
        if (calls > 1) throw new SyntaxError('port blocked');
        super(url, protocols);
      }
    };
    start({ url: 'wss://gw/ws?token=secret-jwt&subscribe=threats', WebSocket: FailsOnRetry });
    fake.last().serverClose(1006);
    await vi.advanceTimersByTimeAsync(50);
    expect(client?.state).toBe('closed');
    expect(errors.map((e) => [e.code, e.message])).toEqual([['connect_failed', 'cannot open a WebSocket to wss://gw/ws?token=[redacted]&subscribe=threats']]);
    expect(client?.subscribe('threats', () => {})).toBeTypeOf('function');
  });

  it('refuses timeouts past setTimeout\'s 2^31-1 ms limit, which would fire after 1 ms', () => {
    expect(() => createClient({ url: 'ws://x/ws', WebSocket: class {} as never, connectTimeoutMs: 30 * 86_400_000 })).toThrow(
      /connectTimeoutMs must be a number from 0 to 2147483647/,
    );
    expect(() => createClient({ url: 'ws://x/ws', WebSocket: class {} as never, pongTimeoutMs: 2 ** 31 })).toThrow(/pongTimeoutMs/);
  });

  it('throws at creation when there is no WebSocket implementation to use', () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    vi.stubGlobal('WebSocket', undefined);
    try {
      expect(() => createClient({ url: 'ws://x/ws' })).toThrow(/no WebSocket implementation/);
    } finally {
      vi.stubGlobal('WebSocket', saved);
      vi.unstubAllGlobals();
    }
  });
});

describe('reconnect schedule (full jitter)', () => {
  it('grows the window exponentially per failed attempt and caps it at maxMs', async () => {
    start();
    const delays: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      fake.last().serverClose(1006);
      const delay = states.at(-1)?.delayMs ?? -1;
      delays.push(delay);
      await expectRetryAfter(delay);
    }
    // random() = 0.5 of windows 100, 200, 400, 800, 1000 (cap), 1000.
    expect(delays).toEqual([50, 100, 200, 400, 500, 500]);
    expect(states.map((s) => s.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('draws every delay from the whole window: random() = 0 retries at once, random() near 1 waits nearly the window', async () => {
    let r = 0;
    start({ random: () => r });
    fake.last().serverClose(1006);
    await expectRetryAfter(0);
    r = 0.999;
    fake.last().serverClose(1006);
    await expectRetryAfter(199);
  });

  it('starts the schedule over after a successful open', async () => {
    start();
    fake.last().serverClose(1006);
    await expectRetryAfter(50);
    fake.last().serverClose(1006);
    await expectRetryAfter(100);
    accept(fake.last());
    expect(client?.state).toBe('open');
    fake.last().serverClose(1011);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', previous: 'open', closeCode: 1011 });
    await expectRetryAfter(50);
  });

  it('does not count a connection that opened a socket but was never welcomed as a success', async () => {
    start();
    fake.last().serverOpen();
    fake.last().serverClose(1011);
    await expectRetryAfter(50);
    fake.last().serverOpen();
    fake.last().serverClose(1011);
    await expectRetryAfter(100);
  });

  it.each([1001, 4008])('retries immediately after close code %i on an open connection', async (code) => {
    start();
    fake.last().serverClose(1006);
    await expectRetryAfter(50);
    accept(fake.last());
    fake.last().serverClose(code, 'bye');
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', closeCode: code, reason: 'bye', delayMs: 0 });
    await expectRetryAfter(0);
  });

  it('backs off instead when 1001 arrives before the connection ever opened (no hot loop on a draining gateway)', async () => {
    start();
    fake.last().serverClose(1001);
    await expectRetryAfter(50);
    fake.last().serverClose(1001);
    await expectRetryAfter(100);
  });

  it.each([4001, 4003])('stays closed after %i when there is no getToken()', async (code) => {
    start({ token: 'jwt-1' });
    accept(fake.last());
    fake.last().serverClose(code, 'nope');
    await vi.advanceTimersByTimeAsync(0);
    expect(client?.state).toBe('closed');
    expect(states.at(-1)).toMatchObject({ state: 'closed', closeCode: code });
    expect(errors.at(-1)).toMatchObject({ code: 'closed', closeCode: code, source: 'client' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.sockets).toHaveLength(1);
  });

  it.each([4001, 4003])('stays closed after %i when getToken() gives back the refused token', async (code) => {
    start({ getToken: () => 'same' });
    accept(fake.last());
    fake.last().serverClose(code);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(client?.state).toBe('closed');
    expect(fake.sockets).toHaveLength(1);
  });

  it('retries 4001 with the new token when getToken() yields one', async () => {
    let token = 'old';
    start({ getToken: async () => token });
    await vi.advanceTimersByTimeAsync(0);
    accept(fake.last());
    token = 'new';
    fake.last().serverClose(4001, 'token expired');
    await vi.advanceTimersByTimeAsync(0);
    await expectRetryAfter(50);
    await vi.advanceTimersByTimeAsync(0);
    fake.last().serverOpen();
    expect(fake.last().sent[0]).toMatchObject({ type: 'auth', token: 'new' });
  });

  it('stops on 1008 (a refused Origin)', async () => {
    start();
    fake.last().serverClose(1008);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(client?.state).toBe('closed');
    expect(fake.sockets).toHaveLength(1);
  });

  it('backs off when getToken() rejects, and reports it', async () => {
    let fail = true;
    start({
      getToken: async () => {
        if (fail) throw new Error('auth service down');
        return 'jwt';
      },
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.sockets).toHaveLength(0);
    expect(errors[0]).toMatchObject({ code: 'get_token_failed' });
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', delayMs: 50 });
    fail = false;
    await vi.advanceTimersByTimeAsync(50);
    expect(fake.sockets).toHaveLength(1);
  });

  it('gives up on an attempt that is not welcomed within connectTimeoutMs', async () => {
    start({ connectTimeoutMs: 5000 });
    await vi.advanceTimersByTimeAsync(4999);
    expect(errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(errors[0]).toMatchObject({ code: 'connect_timeout' });
    expect(fake.sockets[0]?.closedByClient).toBeDefined();
    await expectRetryAfter(50);
  });

  it('close() stops a pending retry and closes with 1000', async () => {
    start();
    fake.last().serverClose(1006);
    client?.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.sockets).toHaveLength(1);
    expect(states.at(-1)).toMatchObject({ state: 'closed', previous: 'reconnecting' });
    start();
    const socket = fake.last();
    accept(socket);
    client?.close();
    client?.close();
    expect(socket.closedByClient).toEqual({ code: 1000, reason: 'client closed' });
  });
});

describe('app-level ping', () => {
  it('pings every pingIntervalMs and reconnects when nothing arrives within pongTimeoutMs', async () => {
    start({ pingIntervalMs: 1000, pongTimeoutMs: 500 });
    const socket = fake.last();
    accept(socket);
    await vi.advanceTimersByTimeAsync(1000);
    expect(socket.sentOfType('ping')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(client?.state).toBe('open');
    await vi.advanceTimersByTimeAsync(1);
    expect(errors[0]).toMatchObject({ code: 'pong_timeout' });
    expect(socket.closedByClient).toEqual({ code: 1000, reason: 'pong_timeout' });
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', closeCode: 1006 });
    await expectRetryAfter(50);
  });

  it('keeps a connection that answers', async () => {
    start({ pingIntervalMs: 1000, pongTimeoutMs: 500 });
    const socket = fake.last();
    accept(socket);
    for (let i = 0; i < 5; i += 1) {
      await vi.advanceTimersByTimeAsync(1000);
      const ping = socket.sentOfType('ping').at(-1);
      socket.serverSend({ type: 'pong', id: ping?.id, server_time: 1764115200 });
    }
    await vi.advanceTimersByTimeAsync(400);
    expect(socket.sentOfType('ping')).toHaveLength(5);
    expect(client?.state).toBe('open');
    expect(errors).toEqual([]);
  });
});

describe('subscriptions over reconnects', () => {
  it('resubscribes every channel with since = the last delivered {epoch, seq}', async () => {
    start();
    const seen: number[] = [];
    client?.subscribe('threats', { filter: { min_score: 7 } }, (e) => seen.push(e.seq));
    client?.subscribe('alerts', () => {});
    const first = fake.last();
    accept(first);
    const [subThreats] = first.sentOfType('subscribe');
    expect(subThreats).toEqual({ type: 'subscribe', id: expect.any(String), channel: 'threats', filter: { min_score: 7 } });
    first.serverSend({ type: 'subscribed', id: subThreats?.id, channel: 'threats', epoch: 'e1', seq: 10, recovered: true, replayed: 0 });
    first.serverSend(threat(11));
    first.serverSend(threat(12));
    first.serverClose(1006);
    await expectRetryAfter(50);
    const second = fake.last();
    accept(second);
    expect(second.sentOfType('subscribe')).toEqual([
      { type: 'subscribe', id: expect.any(String), channel: 'threats', filter: { min_score: 7 }, since: { epoch: 'e1', seq: 12 } },
      { type: 'subscribe', id: expect.any(String), channel: 'alerts' },
    ]);
    expect(seen).toEqual([11, 12]);
  });

  it('announces each confirmed (re)subscription through on("subscribed")', () => {
    start();
    const confirmed: unknown[] = [];
    client?.on('subscribed', (m) => confirmed.push(m));
    client?.subscribe('system', () => {});
    const socket = fake.last();
    accept(socket);
    const reply = { type: 'subscribed', id: socket.sentOfType('subscribe')[0]?.id, channel: 'system', epoch: 'e1', seq: 3, recovered: true, replayed: 0 };
    socket.serverSend(reply);
    expect(confirmed).toEqual([reply]);
  });

  it('drops events replayed twice and events of an unconfirmed subscription', async () => {
    start();
    const seen: number[] = [];
    client?.subscribe('threats', (e) => seen.push(e.seq));
    const socket = fake.last();
    accept(socket);
    socket.serverSend(threat(1)); // before `subscribed`: stale
    socket.serverSend({ type: 'subscribed', channel: 'threats', epoch: 'e1', seq: 1, recovered: true, replayed: 0 });
    for (const seq of [2, 3, 3, 2, 4]) socket.serverSend(threat(seq));
    expect(seen).toEqual([2, 3, 4]);
    expect(client?.stats()).toEqual({ delivered: 3, duplicates: 2, reconnects: 0 });
  });

  it('emits gap when a resume is answered recovered:false, then delivers from the new position', async () => {
    start();
    const gaps: unknown[] = [];
    const seen: number[] = [];
    client?.on('gap', (g) => gaps.push(g));
    client?.subscribe('threats', { since: { epoch: 'e1', seq: 3 } }, (e) => seen.push(e.seq));
    const socket = fake.last();
    accept(socket);
    expect(socket.sentOfType('subscribe')[0]).toMatchObject({ since: { epoch: 'e1', seq: 3 } });
    socket.serverSend({ type: 'subscribed', channel: 'threats', epoch: 'e1', seq: 2000, recovered: false, replayed: 0 });
    expect(gaps).toEqual([{ channel: 'threats', reason: 'not_recovered', since: { epoch: 'e1', seq: 3 }, epoch: 'e1', seq: 2000 }]);
    socket.serverSend(threat(2001));
    expect(seen).toEqual([2001]);
    expect(client?.cursor('threats')).toEqual({ epoch: 'e1', seq: 2001 });
  });

  it('emits gap with reason epoch_changed when live events switch epoch', () => {
    start();
    const gaps: unknown[] = [];
    client?.on('gap', (g) => gaps.push(g));
    client?.subscribe('threats', () => {});
    const socket = fake.last();
    accept(socket);
    socket.serverSend({ type: 'subscribed', channel: 'threats', epoch: 'e1', seq: 0, recovered: true, replayed: 0 });
    socket.serverSend(threat(1));
    socket.serverSend(threat(1, 'e2'));
    expect(gaps).toEqual([{ channel: 'threats', reason: 'epoch_changed', epoch: 'e2', seq: 1 }]);
  });

  it('sends unsubscribe when the last handler of a channel goes, and forgets its cursor', () => {
    start();
    const socket = fake.last();
    accept(socket);
    const offA = client?.subscribe('alerts', () => {});
    const offB = client?.subscribe('alerts', () => {});
    expect(socket.sentOfType('subscribe')).toHaveLength(1);
    socket.serverSend({ type: 'subscribed', channel: 'alerts', epoch: 'e1', seq: 5, recovered: true, replayed: 0 });
    offA?.();
    expect(socket.sentOfType('unsubscribe')).toHaveLength(0);
    offB?.();
    expect(socket.sentOfType('unsubscribe')).toEqual([{ type: 'unsubscribe', channel: 'alerts' }]);
    expect(client?.cursor('alerts')).toBeUndefined();
  });

  it('attaches a server error to the channel whose subscribe it answers', () => {
    start();
    client?.subscribe('alerts', () => {});
    const socket = fake.last();
    accept(socket);
    const id = socket.sentOfType('subscribe')[0]?.id;
    socket.serverSend({ type: 'error', id, code: 'forbidden', message: 'channel alerts requires read:alerts' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ source: 'server', code: 'forbidden', channel: 'alerts', requestId: id });
  });

  it('narrows events by channel and types the filter per channel', () => {
    start();
    client?.subscribe('threats', { filter: { min_score: 7, levels: ['high'] } }, (e) => {
      expectTypeOf(e).toEqualTypeOf<ChannelEvent<'threats'>>();
      expectTypeOf(e.data.threat_score).toBeNumber();
    });
    client?.subscribe('alerts', (e) => {
      expectTypeOf(e.type).toEqualTypeOf<'alert.new' | 'alert.acknowledged' | 'alert.resolved'>();
    });
    // @ts-expect-error `severities` is an alerts filter field, not a threats one
    expect(() => client?.subscribe('threats', { filter: { severities: ['high'] } }, () => {})).toThrow(/already subscribed/);
    // @ts-expect-error not a channel
    client?.subscribe('nope', () => {});
  });
});

describe('token refresh', () => {
  it('answers auth_expiring with a fresh token from getToken()', async () => {
    let token = 't1';
    const authenticated: unknown[] = [];
    start({ getToken: () => token });
    client?.on('authenticated', (m) => authenticated.push(m));
    const socket = fake.last();
    accept(socket);
    token = 't2';
    socket.serverSend({ type: 'auth_expiring', expires_at: 1764115300 });
    await vi.advanceTimersByTimeAsync(0);
    const auths = socket.sentOfType('auth');
    expect(auths.map((a) => a.token)).toEqual(['t1', 't2']);
    socket.serverSend({ type: 'authenticated', id: auths[1]?.id, principal: ANALYST, expires_at: 1764118900 });
    expect(authenticated).toHaveLength(2);
    expect(client?.state).toBe('open');
  });

  it('reports when getToken() has nothing new before expiry', async () => {
    start({ getToken: () => 'same' });
    const socket = fake.last();
    accept(socket);
    socket.serverSend({ type: 'auth_expiring', expires_at: 1764115300 });
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.sentOfType('auth')).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'get_token_failed' });
  });
});

describe('failures stay inside the client', () => {
  it('reports invalid frames through on("error") and keeps the connection', () => {
    start();
    const socket = fake.last();
    accept(socket);
    socket.serverSend('not json');
    socket.serverSend({ type: 'mystery' });
    socket.serverSendBinary();
    expect(errors.map((e) => e.code)).toEqual(['invalid_frame', 'invalid_frame', 'invalid_frame']);
    expect(client?.state).toBe('open');
  });

  it('keeps delivering to other handlers when one throws, and reports the failure', () => {
    start();
    const seen: number[] = [];
    client?.subscribe('threats', () => {
      throw new Error('app bug');
    });
    client?.subscribe('threats', (e) => seen.push(e.seq));
    const socket = fake.last();
    accept(socket);
    socket.serverSend({ type: 'subscribed', channel: 'threats', epoch: 'e1', seq: 0, recovered: true, replayed: 0 });
    socket.serverSend(threat(1));
    socket.serverSend(threat(2));
    expect(seen).toEqual([1, 2]);
    expect(errors.map((e) => [e.code, e.channel])).toEqual([
      ['handler_failed', 'threats'],
      ['handler_failed', 'threats'],
    ]);
  });

  it('reports a throwing state listener without breaking the connection', () => {
    start();
    client?.on('state', () => {
      throw new Error('listener bug');
    });
    accept(fake.last());
    expect(client?.state).toBe('open');
    expect(errors.map((e) => e.code)).toEqual(['listener_failed']);
  });
});

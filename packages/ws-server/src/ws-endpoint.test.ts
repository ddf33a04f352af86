import { once } from 'node:events';
import net from 'node:net';
import { CHANNEL_NAMES, CLOSE_CODES, SUBPROTOCOL } from '@ns/contracts';
import { WebSocket } from 'ws';
import { closeAfterEach } from '@ns/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient, startEndpoint, threat, upgradeStatus, type EndpointServer } from '../test/harness.js';
import { BurstLimiter } from './rate-limits.js';

let server: EndpointServer | undefined;

async function start(options: Parameters<typeof startEndpoint>[0] = {}): Promise<EndpointServer> {
  server = await startEndpoint(options);
  return server;
}

async function connect(url: string, options?: ConstructorParameters<typeof WebSocket>[2]): Promise<TestClient> {
  return track(await TestClient.connect(url, options));
}

function client(url: string, options?: ConstructorParameters<typeof WebSocket>[2]): TestClient {
  return track(new TestClient(url, options));
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});
// After the server's hook: hooks run in stack order, so the clients close first.
const track = closeAfterEach<TestClient>();

describe('the /ws endpoint: messages of docs/protocol.md', () => {
  it('sends welcome on open with the connection id, protocol, heartbeat, size limit, channels and principal', async () => {
    const s = await start({ managerOptions: { heartbeatMs: 25_000 } });
    const c = await connect(s.url);
    const welcome = await c.next((m) => m.type === 'welcome');
    expect(welcome).toMatchObject({
      type: 'welcome',
      protocol: 1,
      heartbeat_s: 25,
      max_message_bytes: 65_536,
      channels: CHANNEL_NAMES,
      principal: { id: 'auth-disabled' },
    });
    expect(welcome.connection_id).toMatch(/^c_/);
    expect(Math.abs((welcome.server_time as number) - Date.now() / 1000)).toBeLessThan(60);
    expect(c.messages[0]).toBe(welcome);
  });

  it('accepts the ns.v1 subprotocol when offered, and no subprotocol at all', async () => {
    const s = await start();
    const withProtocol = await connect(s.url, [SUBPROTOCOL] as never);
    expect(withProtocol.ws.protocol).toBe(SUBPROTOCOL);
    const without = await connect(s.url);
    expect(without.ws.protocol).toBe('');
  });

  it('refuses a handshake that offers only unknown subprotocols', async () => {
    const s = await start();
    const ws = new WebSocket(s.url, ['mqtt']);
    const [err] = (await once(ws, 'error')) as [Error];
    expect(err.message).toMatch(/subprotocol/i);
  });

  it('subscribes, delivers, unsubscribes and answers ping', async () => {
    const s = await start();
    const c = await connect(s.url);
    expect(await c.request({ type: 'subscribe', id: 's1', channel: 'threats', filter: { min_score: 5 } })).toMatchObject({
      type: 'subscribed',
      id: 's1',
      channel: 'threats',
      seq: 0,
      replayed: 0,
    });
    await s.bus.publish(threat(2));
    await s.bus.publish(threat(8));
    const [event] = await c.waitForEvents('threats', 1);
    expect(event).toMatchObject({ type: 'threat.new', seq: 2, data: { threat_score: 8 } });
    expect(await c.request({ type: 'unsubscribe', id: 'u1', channel: 'threats' })).toEqual({ type: 'unsubscribed', id: 'u1', channel: 'threats' });
    expect(await c.request({ type: 'ping', id: 'p1' })).toMatchObject({ type: 'pong', id: 'p1' });
  });

  it('auto-subscribes to the channels of ?subscribe= once each and refuses unknown ones in one error', async () => {
    const s = await start();
    const c = await connect(`${s.url}?subscribe=threats,nope,status,threats,nope,other`);
    await c.next((m) => m.type === 'subscribed' && m.channel === 'status');
    expect(c.messages.map((m) => m.type)).toEqual(['welcome', 'error', 'subscribed', 'subscribed']);
    expect(c.messages[1]).toMatchObject({ code: 'unknown_channel', details: { channels: ['nope', 'other'], count: 2 } });
    await s.bus.publish(threat(1));
    await c.waitForEvents('threats', 1);
  });
});

describe('the /ws endpoint: error replies', () => {
  it.each([
    ['invalid_json', '{"type":'],
    ['invalid_message', JSON.stringify({ type: 'subscribe', id: 'r', channel: 'threats', filter: { min_score: -1 } })],
    ['invalid_message', JSON.stringify([1, 2])],
    ['unknown_type', JSON.stringify({ type: 'publish', id: 'r' })],
    ['unknown_channel', JSON.stringify({ type: 'subscribe', id: 'r', channel: 'nope' })],
  ])('answers %s with an error echoing the request id', async (code, frame) => {
    const s = await start();
    const c = await connect(s.url);
    const from = c.messages.length;
    c.send(frame);
    const error = await c.next((m) => m.type === 'error', from);
    expect(error.code).toBe(code);
    expect(typeof error.message).toBe('string');
    if (frame.includes('"id":"r"')) expect(error.id).toBe('r');
    // The connection stays usable.
    expect(await c.request({ type: 'ping', id: 'p' })).toMatchObject({ type: 'pong' });
  });

  it('names the offending field of an invalid message', async () => {
    const s = await start();
    const c = await connect(s.url);
    const error = await c.request({ type: 'subscribe', id: 'r', channel: 'threats', filter: { levels: ['severe'] } });
    expect(error).toMatchObject({ type: 'error', code: 'invalid_message' });
    expect(error.message).toContain('filter.levels');
  });

  it('rejects binary frames', async () => {
    const s = await start();
    const c = await connect(s.url);
    const from = c.messages.length;
    c.ws.send(Buffer.from([1, 2, 3]));
    expect(await c.next((m) => m.type === 'error', from)).toMatchObject({ code: 'invalid_message' });
  });

  it('answers too_many_subscriptions over the cap', async () => {
    const s = await start({ managerOptions: { maxSubscriptions: 1 } });
    const c = await connect(s.url);
    await c.request({ type: 'subscribe', id: 'a', channel: 'threats' });
    expect(await c.request({ type: 'subscribe', id: 'b', channel: 'alerts' })).toMatchObject({ code: 'too_many_subscriptions' });
  });

  it('answers rate_limited beyond the message rate and its burst, and then lets the client continue', async () => {
    const s = await start({ clientMessageRate: 5 });
    const c = await connect(s.url);
    for (let i = 0; i < 12; i++) c.send({ type: 'ping', id: `p${i}` });
    const limited = await c.next((m) => m.type === 'error' && m.code === 'rate_limited');
    expect(limited.details).toMatchObject({ retry_after_ms: expect.any(Number) });
    await c.next((m) => m.id === 'p9');
    expect(c.messages.filter((m) => m.type === 'pong')).toHaveLength(10);
    expect(s.endpoint.stats().rateLimitedMessages).toBe(2);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe('the /ws endpoint: close codes', () => {
  it('echoes a normal client close (1000) and logs code, reason and duration', async () => {
    const s = await start();
    const c = await connect(s.url);
    const id = ((await c.next((m) => m.type === 'welcome')).connection_id as string) ?? '';
    c.ws.close(1000, 'bye');
    expect(await c.closed).toEqual({ code: 1000, reason: 'bye' });
    expect(await s.nextLog((l) => l.msg === 'connection closed')).toMatchObject({ connection_id: id, code: 1000, reason: 'bye', duration_ms: expect.any(Number) });
  });

  it('closes with 1009 when a message exceeds max_message_bytes', async () => {
    const s = await start({ maxMessageBytes: 1024 });
    const c = await connect(s.url);
    expect((await c.next((m) => m.type === 'welcome')).max_message_bytes).toBe(1024);
    c.send({ type: 'ping', id: 'x'.repeat(2000) });
    expect((await c.closed).code).toBe(CLOSE_CODES.TOO_BIG);
  });

  it('closes with 4000 after repeated invalid frames', async () => {
    const s = await start();
    const c = await connect(s.url);
    for (let i = 0; i < 10; i++) c.send('not json');
    expect((await c.closed).code).toBe(CLOSE_CODES.PROTOCOL_ABUSE);
    expect(c.messages.filter((m) => m.code === 'invalid_json')).toHaveLength(10);
  });

  it('closes with 4002 when a client keeps flooding past the rate limit', async () => {
    const s = await start({ clientMessageRate: 2 });
    const c = await connect(s.url);
    for (let i = 0; i < 40; i++) c.send({ type: 'ping' });
    expect((await c.closed).code).toBe(CLOSE_CODES.RATE_LIMITED);
  });

  it('closes everyone with 1001 on close(), after flushing, and answers new upgrades with 503 meanwhile', async () => {
    const s = await start({ managerOptions: { writeDelayMs: 20 } });
    const c = await connect(s.url);
    await c.request({ type: 'subscribe', id: 's', channel: 'threats' });
    await s.bus.publish(threat(1));
    const closing = s.endpoint.close({ graceMs: 1_000 });
    expect((await upgradeStatus(s.port)).status).toBe(503);
    expect((await c.closed).code).toBe(CLOSE_CODES.GOING_AWAY);
    expect(c.events('threats')).toHaveLength(1);
    await closing;
    expect(s.endpoint.stats().rejectedUpgrades.draining).toBe(1);
  });

  it('keeps a client that answers protocol pings, over many heartbeat periods', async () => {
    const s = await start({ managerOptions: { heartbeatMs: 20, pongTimeoutMs: 20 } });
    const c = await connect(s.url);
    await c.next((m) => m.type === 'welcome');
    let pings = 0;
    c.ws.on('ping', () => pings++);
    while (pings < 8 && c.ws.readyState === WebSocket.OPEN) await new Promise((r) => setTimeout(r, 20));
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    expect(s.manager.stats().heartbeatTerminations).toBe(0);
  });

  it('closes a client that stops answering protocol pings', async () => {
    const s = await start({ managerOptions: { heartbeatMs: 30, pongTimeoutMs: 30 } });
    const c = await connect(s.url, { autoPong: false });
    expect((await c.next((m) => m.type === 'welcome')).heartbeat_s).toBe(0.03);
    expect((await c.closed).code).toBe(1006);
    expect(s.manager.stats().heartbeatTerminations).toBe(1);
  });
});

describe('the /ws endpoint: upgrade checks', () => {
  it('answers 404 for other paths when it is the only upgrade handler', async () => {
    const s = await start();
    expect((await upgradeStatus(s.port, '/other')).status).toBe(404);
    expect(s.endpoint.stats().rejectedUpgrades.path).toBe(1);
  });

  it('leaves other paths to other upgrade handlers', async () => {
    const s = await start();
    s.server.on('upgrade', (req, socket) => {
      if (req.url === '/other') socket.end('HTTP/1.1 418 Teapot\r\nContent-Length: 0\r\n\r\n');
    });
    expect((await upgradeStatus(s.port, '/other')).status).toBe(418);
  });

  /** Opens /ws as a browser on `origin` would: the close code and reason, and every message received. */
  function asBrowser(port: number, origin: string, host?: string): Promise<{ code: number; reason: string; messages: string[] }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, SUBPROTOCOL, { origin, ...(host === undefined ? {} : { headers: { Host: host } }) });
      const messages: string[] = [];
      ws.on('message', (data) => messages.push(String(data)));
      // A refused client may still send: the server must not read it (no reply, no error).
      ws.on('open', () => ws.send(JSON.stringify({ type: 'ping', id: 'p' })));
      ws.on('close', (code, reason) => resolve({ code, reason: String(reason), messages }));
      ws.on('error', reject);
    });
  }

  it('lets clients without Origin through, and browsers only from allowed origins or the same origin', async () => {
    const s = await start({ allowedOrigins: ['https://console.example.com'] });
    expect((await upgradeStatus(s.port)).status).toBe(101);
    expect((await upgradeStatus(s.port, '/ws', { Origin: 'https://console.example.com' })).status).toBe(101);
    expect((await upgradeStatus(s.port, '/ws', { Origin: `http://127.0.0.1:${s.port}` })).status).toBe(101);
    // A foreign origin is upgraded only to be closed at once with 1008: no welcome, its messages unread.
    expect(await asBrowser(s.port, 'https://evil.example')).toEqual({ code: CLOSE_CODES.POLICY, reason: 'origin not allowed', messages: [] });
    expect(await asBrowser(s.port, 'null')).toEqual({ code: CLOSE_CODES.POLICY, reason: 'origin not allowed', messages: [] });
    expect(s.endpoint.stats().rejectedUpgrades.origin).toBe(2);
  });

  it('refuses a page on a rebinding DNS name whose Origin matches its own Host', async () => {
    const s = await start();
    const host = `rebind.attacker.example:${s.port}`;
    expect((await asBrowser(s.port, `http://${host}`, host)).code).toBe(CLOSE_CODES.POLICY);
    expect((await upgradeStatus(s.port, '/ws', { Host: `localhost:${s.port}`, Origin: `http://localhost:${s.port}` })).status).toBe(101);
  });

  it('allows any origin only when told "*"', async () => {
    const s = await start({ allowedOrigins: '*' });
    expect((await upgradeStatus(s.port, '/ws', { Origin: 'https://anything.example' })).status).toBe(101);
  });

  it('limits new connections per IP per second, with a burst of twice the rate (429 + Retry-After)', async () => {
    const s = await start({ ipConnectRate: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await upgradeStatus(s.port)).status);
    expect(statuses.slice(0, 6)).toEqual([101, 101, 101, 101, 101, 101]);
    const limited = await upgradeStatus(s.port);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(s.endpoint.stats().rejectedUpgrades.ip_connect_rate).toBeGreaterThanOrEqual(2);
  });

  it('caps concurrent connections per IP (429) and globally (503)', async () => {
    const s = await start({ ipMaxConnections: 2, maxConnections: 3, trustProxy: ['127.0.0.1'] });
    const first = await connect(s.url);
    await connect(s.url);
    expect((await upgradeStatus(s.port)).status).toBe(429);
    // Through a trusted proxy, X-Forwarded-For names the client.
    const other = await connect(s.url, { headers: { 'X-Forwarded-For': '203.0.113.7' } });
    expect(other.ws.readyState).toBe(WebSocket.OPEN);
    expect((await upgradeStatus(s.port, '/ws', { 'X-Forwarded-For': '203.0.113.8' })).status).toBe(503);
    expect(s.endpoint.stats().rejectedUpgrades).toMatchObject({ ip_max_connections: 1, max_connections: 1 });
    // Closing a connection frees its slot.
    await first.close();
    await s.nextLog((l) => l.msg === 'connection closed');
    expect((await upgradeStatus(s.port)).status).toBe(101);
  });

  it('ignores X-Forwarded-For from untrusted peers', async () => {
    const s = await start({ ipMaxConnections: 1 });
    await connect(s.url, { headers: { 'X-Forwarded-For': '203.0.113.7' } });
    expect((await upgradeStatus(s.port, '/ws', { 'X-Forwarded-For': '203.0.113.9' })).status).toBe(429);
  });

  it('answers 408 when the upgrade checks outlast the handshake timeout, and still upgrades the prompt ones', async () => {
    // A connect limiter that answers its first caller only after 400 ms, every later one at once.
    let calls = 0;
    class SlowFirst extends BurstLimiter {
      override async take(key: string) {
        if (calls++ === 0) await new Promise((r) => setTimeout(r, 400));
        return super.take(key);
      }
    }
    const s = await start({ connectLimiter: new SlowFirst(100, 'test'), handshakeTimeoutMs: 150 });
    const slow = upgradeStatus(s.port);
    expect((await upgradeStatus(s.port)).status).toBe(101);
    expect((await slow).status).toBe(408);
    expect(s.endpoint.stats().rejectedUpgrades).toEqual({ handshake_timeout: 1 });
    // The late answer does not resurrect the timed-out handshake.
    await new Promise((r) => setTimeout(r, 400));
    expect(s.endpoint.stats().rejectedUpgrades).toEqual({ handshake_timeout: 1 });
  });

  it('answers 503 while the gateway is draining', async () => {
    let accepting = false;
    const s = await start({ isAccepting: () => accepting });
    expect((await upgradeStatus(s.port)).status).toBe(503);
    accepting = true;
    expect((await upgradeStatus(s.port)).status).toBe(101);
  });

  it('survives a client that resets its socket mid-handshake', async () => {
    const s = await start();
    const socket = net.connect(s.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    socket.resetAndDestroy();
    const c = await connect(s.url);
    expect(await c.request({ type: 'ping', id: 'p' })).toMatchObject({ type: 'pong' });
  });
});

describe('the /ws endpoint: logging', () => {
  it('logs connect, auth, subscribe and close without ever writing the token', async () => {
    const { token, SECRET } = await import('../test/harness.js');
    const { jwtAuthenticator } = await import('./jwt-authenticator.js');
    const s = await start({ authenticator: jwtAuthenticator({ secret: SECRET }) });
    const jwt = await token();
    const c = await connect(`${s.url}?token=${jwt}&subscribe=threats`);
    await c.next((m) => m.type === 'subscribed');
    await c.close();
    await s.nextLog((l) => l.msg === 'connection closed');
    const text = JSON.stringify(s.logs);
    expect(text).not.toContain(jwt);
    const messages = s.logs.map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(['connection opened', 'auth result', 'subscribe', 'connection closed']));
    expect(s.logs.find((l) => l.msg === 'connection opened')).toMatchObject({ url: '/ws?token=[REDACTED]&subscribe=threats', ip: '127.0.0.1' });
    expect(s.logs.find((l) => l.msg === 'auth result')).toMatchObject({ auth: 'ok', principal: 'u_1' });
  });
});

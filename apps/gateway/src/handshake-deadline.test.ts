import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { enforceHandshakeDeadline, headerCheckIntervalMs, type HandshakeGuard } from './handshake-deadline.js';

// The guard's own deadline runs on faked timers and a faked performance.now(), advanced by the test at
// the moment it chooses; Node's `headersTimeout` checker runs on Node's internal timers, which are not
// faked. So no test depends on which of the two fires first under load: each test lets exactly one of
// them act.

const TIMEOUT_MS = 300;
let server: Server | undefined;
let guard: HandshakeGuard;
const sockets: Socket[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const s of sockets.splice(0)) s.destroy();
  if (server !== undefined) await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A server with the guard; resolves with its port and a way to await each accepted socket. */
async function start(): Promise<{ port: number; accepted: () => Promise<Socket> }> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  const s = createServer({ connectionsCheckingInterval: headerCheckIntervalMs(TIMEOUT_MS) }, (_req, res) => res.end('ok'));
  server = s;
  // Far beyond any wait here, so only the two deadlines under test can close a connection.
  s.keepAliveTimeout = 60_000;
  guard = enforceHandshakeDeadline(s, TIMEOUT_MS);
  const queue: Socket[] = [];
  s.on('connection', (socket: Socket) => queue.push(socket));
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const accepted = async (): Promise<Socket> => {
    while (queue.length === 0) await once(s, 'connection');
    return queue.shift() as Socket;
  };
  return { port: (s.address() as AddressInfo).port, accepted };
}

/** A client connection that records what the server sent and when it closed. */
async function client(port: number) {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  const closed = once(socket, 'close').then(() => received);
  await once(socket, 'connect');
  return { socket, closed, received: () => received };
}

/** Resolves once the server side has read at least `n` bytes of the connection. */
async function serverRead(socket: Socket, n: number): Promise<void> {
  while (socket.bytesRead < n) await sleep(5);
}

describe('enforceHandshakeDeadline', () => {
  it('destroys a connection that has sent no byte when its deadline passes, not before', async () => {
    const { port, accepted } = await start();
    const c = await client(port);
    const serverSide = await accepted();
    vi.advanceTimersByTime(TIMEOUT_MS - 1);
    expect(serverSide.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(serverSide.destroyed).toBe(true);
    expect(await c.closed).toBe('');
  });

  it('leaves a connection that has sent bytes to headersTimeout, which answers 408', async () => {
    const { port, accepted } = await start();
    const c = await client(port);
    const serverSide = await accepted();
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    await serverRead(serverSide, 1);
    vi.advanceTimersByTime(TIMEOUT_MS);
    expect(serverSide.destroyed).toBe(false);
    // Node's own checker (real time, every headerCheckIntervalMs) answers the unfinished request.
    expect(await c.closed).toMatch(/^HTTP\/1\.1 408/);
  });

  it('sets headersTimeout to the deadline', async () => {
    await start();
    expect(server?.headersTimeout).toBe(TIMEOUT_MS);
  });

  it('leaves a connection alone once its request has been answered', async () => {
    const { port, accepted } = await start();
    const c = await client(port);
    await accepted();
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(c.socket, 'data');
    // Past the guard's deadline and several of Node's header checks, the keep-alive connection still
    // serves a second request.
    vi.advanceTimersByTime(TIMEOUT_MS * 2);
    await sleep(TIMEOUT_MS * 2);
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [reply] = (await once(c.socket, 'data')) as [Buffer];
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 200/);
  });

  it('serves every pending connection with one timer, each destroyed at its own deadline', async () => {
    const { port, accepted } = await start();
    const a = await client(port);
    const serverA = await accepted();
    vi.advanceTimersByTime(100);
    const b = await client(port);
    const serverB = await accepted();
    expect(guard.pending()).toBe(2);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(TIMEOUT_MS - 100);
    expect(serverA.destroyed).toBe(true);
    expect(serverB.destroyed).toBe(false);
    expect(guard.pending()).toBe(1);
    vi.advanceTimersByTime(99);
    expect(serverB.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(serverB.destroyed).toBe(true);
    expect(await a.closed).toBe('');
    expect(await b.closed).toBe('');
    expect(guard.pending()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('forgets a connection that closes first, and keeps guarding the others', async () => {
    const { port, accepted } = await start();
    const a = await client(port);
    const serverA = await accepted();
    const b = await client(port);
    const serverB = await accepted();
    a.socket.destroy();
    await once(serverA, 'close');
    expect(guard.pending()).toBe(1);
    vi.advanceTimersByTime(TIMEOUT_MS);
    expect(serverB.destroyed).toBe(true);
    expect(await b.closed).toBe('');
    expect(guard.pending()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves no listener on a connection past its deadline', async () => {
    const { port, accepted } = await start();
    const c = await client(port);
    const serverSide = await accepted();
    const listening = serverSide.listenerCount('close');
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(c.socket, 'data');
    vi.advanceTimersByTime(TIMEOUT_MS);
    expect(serverSide.destroyed).toBe(false);
    expect(serverSide.listenerCount('close')).toBe(listening - 1);
    expect(guard.pending()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('arms its timer again for a connection accepted after the others have passed', async () => {
    const { port, accepted } = await start();
    await client(port);
    await accepted();
    vi.advanceTimersByTime(TIMEOUT_MS);
    expect(vi.getTimerCount()).toBe(0);
    const c = await client(port);
    const serverSide = await accepted();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(TIMEOUT_MS - 1);
    expect(serverSide.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(serverSide.destroyed).toBe(true);
    expect(await c.closed).toBe('');
  });

  it('checks header deadlines at a quarter of the timeout, within 100 ms to 1 s', () => {
    expect(headerCheckIntervalMs(300)).toBe(100);
    expect(headerCheckIntervalMs(2_000)).toBe(500);
    expect(headerCheckIntervalMs(10_000)).toBe(1_000);
    expect(headerCheckIntervalMs(403)).toBe(100);
    expect(headerCheckIntervalMs(404)).toBe(101);
  });
});

import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { enforceHandshakeDeadline, headerCheckIntervalMs } from './handshake-deadline.js';

const TIMEOUT_MS = 300;
let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  if (server !== undefined) await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function start(): Promise<number> {
  server = createServer({ connectionsCheckingInterval: headerCheckIntervalMs(TIMEOUT_MS) }, (_req, res) => res.end('ok'));
  enforceHandshakeDeadline(server, TIMEOUT_MS);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Opens a connection, writes `bytes`, and resolves with everything the server sent before it closed. */
async function linger(port: number, bytes: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  await once(socket, 'connect');
  if (bytes !== '') socket.write(bytes);
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  await once(socket, 'close');
  return received;
}

describe('enforceHandshakeDeadline', () => {
  it('closes a connection that never sends a byte', async () => {
    const port = await start();
    expect(await linger(port, '')).toBe('');
  });

  it('answers 408 and closes a connection whose request headers never complete', async () => {
    const port = await start();
    expect(await linger(port, 'GET / HTTP/1.1\r\nHost: x\r\n')).toMatch(/^HTTP\/1\.1 408/);
  });

  it('leaves a connection alone once its request has been answered', async () => {
    const port = await start();
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    await once(socket, 'connect');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(socket, 'data');
    // Past the deadline, the keep-alive connection still serves a second request.
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 2));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [reply] = (await once(socket, 'data')) as [Buffer];
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 200/);
  });
});

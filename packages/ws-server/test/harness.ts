import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { EventBus } from '@ns/event-bus';
import { WsManager, type WsManagerOptions } from '@ns/ws-manager';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { attach, type WsEndpoint, type WsServerOptions } from '../src/ws-endpoint.js';

export { TestClient, threat } from '@ns/testkit';

export const SECRET = 'test-secret-for-hs256-at-least-32-bytes!';

/** A real HTTP server on port 0 with the endpoint attached, a bus and a manager, and captured logs. */
export interface EndpointServer {
  server: http.Server;
  bus: EventBus;
  manager: WsManager;
  endpoint: WsEndpoint;
  port: number;
  url: string;
  /** Every log line written so far, parsed. */
  logs: Record<string, unknown>[];
  /** The first log line (so far or later) matching `predicate`. */
  nextLog(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startEndpoint(
  options: Partial<WsServerOptions> & { managerOptions?: Omit<WsManagerOptions, 'bus'> } = {},
): Promise<EndpointServer> {
  const bus = new EventBus();
  const manager = new WsManager({ bus, ...options.managerOptions });
  const logs: Record<string, unknown>[] = [];
  let waiters: { predicate: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of String(chunk).split('\n')) {
        if (text === '') continue;
        const line = JSON.parse(text) as Record<string, unknown>;
        logs.push(line);
        waiters = waiters.filter((w) => !(w.predicate(line) && (w.resolve(line), true)));
      }
      done();
    },
  });
  const nextLog = (predicate: (line: Record<string, unknown>) => boolean) => {
    const found = logs.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<Record<string, unknown>>((resolve) => waiters.push({ predicate, resolve }));
  };
  const logger = pino({ level: 'debug' }, sink);
  const server = http.createServer((_req, res) => res.end('ok'));
  const { managerOptions: _ignored, ...endpointOptions } = options;
  const endpoint = attach(server, { authenticator: null, logger, ...endpointOptions, manager });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    bus,
    manager,
    endpoint,
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    logs,
    nextLog,
    async close() {
      await endpoint.close({ graceMs: 500 });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await bus.close();
    },
  };
}

/** Signs an HS256 token with {@link SECRET} (or `secret`). `exp` is absolute Unix seconds. */
export async function token(claims: Record<string, unknown> = {}, secret = SECRET): Promise<string> {
  const { exp, ...rest } = { sub: 'u_1', roles: ['analyst'], exp: Math.floor(Date.now() / 1000) + 3600, ...claims };
  let jwt = new SignJWT(rest).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (exp !== null) jwt = jwt.setExpirationTime(exp as number);
  return jwt.sign(new TextEncoder().encode(secret));
}

/** Performs a raw upgrade request and resolves with the HTTP status the server answered. */
export function upgradeStatus(port: number, path = '/ws', headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

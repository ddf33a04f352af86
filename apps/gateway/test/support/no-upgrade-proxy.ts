import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A corporate-style HTTP proxy in front of a gateway that forwards requests (streaming) but refuses every WebSocket upgrade. */
export interface NoUpgradeProxy {
  readonly url: string;
  readonly port: number;
  /** Upgrade requests refused so far. */
  readonly refusedUpgrades: () => number;
  close(): Promise<void>;
}

/** Starts the proxy on a free loopback port, forwarding to `targetPort`. */
export async function startNoUpgradeProxy(targetPort: number): Promise<NoUpgradeProxy> {
  let refused = 0;
  const server: Server = createServer((req, res) => {
    const upstream = request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${targetPort}` } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (_req, socket) => {
    refused++;
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    refusedUpgrades: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

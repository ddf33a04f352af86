import { createServer } from 'node:net';

/**
 * A loopback TCP port that was free a moment ago (bound to port 0 and released), for a process that
 * must bind a known port itself: a redis-server, or a gateway that comes back on the same port.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** How often Node checks request-header deadlines, for a handshake timeout of `timeoutMs`. */
export const headerCheckIntervalMs = (timeoutMs: number): number => Math.max(100, Math.min(1_000, Math.floor(timeoutMs / 4)));

/**
 * The slowloris defence: a TCP connection must complete its request headers (an HTTP request or the
 * WebSocket upgrade) within `timeoutMs`. Node bounds header parsing only once bytes arrive
 * (`headersTimeout`, checked every `connectionsCheckingInterval`, 30 s by default) and never closes a
 * connection that sends nothing at all — measured on the gateway before this guard: a silent
 * connection was still open after 100 s, one with partial headers lasted ~70 s. So a connection that
 * has sent no byte by the deadline is destroyed here, and one that has is left to `headersTimeout`
 * (the server must be created with `connectionsCheckingInterval` = {@link headerCheckIntervalMs}).
 * The idle time between keep-alive requests stays with `keepAliveTimeout`; an upgraded WebSocket has
 * read its upgrade request, so it is past all of this.
 */
export function enforceHandshakeDeadline(server: Server, timeoutMs: number): void {
  server.headersTimeout = timeoutMs;
  server.on('connection', (socket: Socket) => {
    // `bytesRead` rather than a 'data' listener: adding one would take the socket off Node's native
    // HTTP parser path.
    const cancel = () => clearTimeout(timer);
    const timer = setTimeout(() => {
      // Past the deadline the guard is done: without its listener, nothing of it (timer, closures)
      // stays with a long-lived connection (~300 bytes each, measured with heap snapshots).
      socket.off('close', cancel);
      if (socket.bytesRead === 0) socket.destroy();
    }, timeoutMs);
    // It must not keep a closing server alive.
    timer.unref();
    // `on`, not `once`: 'close' comes once, and `once` would add a wrapper.
    socket.on('close', cancel);
  });
}

import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { DeadlineQueue } from '@ns/ws-server';

/** How often Node checks request-header deadlines, for a handshake timeout of `timeoutMs`. */
export const headerCheckIntervalMs = (timeoutMs: number): number => Math.max(100, Math.min(1_000, Math.floor(timeoutMs / 4)));

/** What {@link enforceHandshakeDeadline} tracks. */
export interface HandshakeGuard {
  /** Connections still inside their deadline (closed ones are forgotten at once). */
  pending(): number;
}

/**
 * The slowloris defence: a TCP connection must complete its request headers (an HTTP request or the
 * WebSocket upgrade) within `timeoutMs`. Node bounds header parsing only once bytes arrive
 * (`headersTimeout`, checked every `connectionsCheckingInterval`, 30 s by default) and does not
 * reliably close a connection that sends nothing at all — measured on the gateway before this guard: a
 * silent connection was still open after 100 s, one with partial headers lasted ~70 s (with the short
 * check interval set here Node's check sometimes answers a silent one with 408 first; either way it is
 * closed at the deadline). So a connection that
 * has sent no byte by the deadline is destroyed here, and one that has is left to `headersTimeout`
 * (the server must be created with `connectionsCheckingInterval` = {@link headerCheckIntervalMs}).
 * The idle time between keep-alive requests stays with `keepAliveTimeout`; an upgraded WebSocket has
 * read its upgrade request, so it is past all of this.
 *
 * One timer serves every pending connection ({@link DeadlineQueue}: each has the same timeout, so
 * deadlines come in accept order). Per connection that costs a map entry and a shared 'close'
 * listener instead of a Timeout, two closures and a listener of its own (~300 bytes, measured with
 * heap snapshots), which mattered while a burst of connections was inside its deadline.
 */
export function enforceHandshakeDeadline(server: Server, timeoutMs: number): HandshakeGuard {
  server.headersTimeout = timeoutMs;
  const pending = new DeadlineQueue<Socket>(timeoutMs, (socket) => {
    // Past the deadline the guard is done with this connection: nothing of it stays.
    socket.off('close', forget);
    // `bytesRead` rather than a 'data' listener: adding one would take the socket off Node's native
    // HTTP parser path.
    if (socket.bytesRead === 0) socket.destroy();
  });
  // One function for every socket (`this` is the socket), so no closure is kept per connection.
  function forget(this: Socket): void {
    pending.delete(this);
  }
  server.on('connection', (socket: Socket) => {
    pending.add(socket);
    // `on`, not `once`: 'close' comes once, and `once` would add a wrapper.
    socket.on('close', forget);
  });
  return { pending: () => pending.size };
}

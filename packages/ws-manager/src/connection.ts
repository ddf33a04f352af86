import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { pooledConnectionId } from './connection-id.js';
import { wsFrames, type FrameEncoder } from './frame-builder.js';
import type { SinkHost, SinkInit } from './frame-sink.js';
import type { HeartbeatTarget } from './heartbeat.js';
import { QueuedSink } from './queued-sink.js';

/** Lifecycle of a connection (see {@link SinkState}). */
export type { SinkState as ConnectionState } from './frame-sink.js';
/** Options of {@link Connection}. */
export type ConnectionInit = SinkInit;

// The connection a `ws` socket belongs to, for the listeners below (shared by every connection).
const kConnection = Symbol('ns.connection');
type OwnedWebSocket = WebSocket & { [kConnection]: Connection };
const ownerOf = (ws: WebSocket): Connection => (ws as OwnedWebSocket)[kConnection];

// WebSocket close reasons are limited to 123 bytes.
const MAX_REASON_BYTES = 123;

const clampReason = (reason: string): string => {
  if (Buffer.byteLength(reason) <= MAX_REASON_BYTES) return reason;
  return Buffer.from(reason).subarray(0, MAX_REASON_BYTES).toString('utf8').replace(/\uFFFD+$/, '');
};

/**
 * A `ws` WebSocket that tells its {@link Connection} of each pong itself: give it to the
 * `WebSocketServer` as its `WebSocket` option. A 'pong' listener would be a fourth event name on every
 * socket (after message, close and error), and the fourth doubles the dictionary `EventEmitter` keeps
 * its listeners in: ~95 bytes more per idle connection (measured, 100k emitters, 3 vs 4 event names).
 */
export class ConnectionWebSocket extends WebSocket {
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'pong') {
      const owner = (this as unknown as Partial<OwnedWebSocket>)[kConnection];
      if (owner !== undefined) owner.awaitingPong = false;
    }
    return super.emit(event, ...args);
  }
}

/**
 * One WebSocket client as a {@link QueuedSink}: frames are written to the raw socket beneath `ws`, never
 * through `ws.send`, so that one pre-built frame can go to many sockets; everything this connection
 * sends therefore goes through its one queue, and the only other writers (`ws`'s protocol ping/pong and
 * close frames) write whole frames synchronously, which cannot land inside one of ours. Also the
 * heartbeat's target (protocol ping, pong).
 */
export class Connection extends QueuedSink implements HeartbeatTarget {
  lastPingAt = this.openedAt;
  awaitingPong = false;
  readonly #ws: WebSocket;
  readonly #socket: Duplex;

  constructor(ws: WebSocket, socket: Duplex, host: SinkHost, init: SinkInit = {}) {
    // Not `{ ...init, id }`: on the V8 of Node 20 an object literal that starts with a spread and then
    // adds a key gets a hidden class of its own, i.e. one more map per connection (`--log-maps`).
    super(host, socket, init.id === undefined ? { id: pooledConnectionId(), principal: init.principal, remoteAddress: init.remoteAddress } : init);
    this.#ws = ws;
    this.#socket = socket;
    // Shared listeners that find this connection on the socket: per-connection closures (and `once`'s
    // wrapper) cost every idle connection ~400 bytes (heap snapshots). 'close' fires once.
    (ws as OwnedWebSocket)[kConnection] = this;
    if (!(ws instanceof ConnectionWebSocket)) ws.on('pong', Connection.#onPong);
    ws.on('error', Connection.#onError);
    ws.on('close', Connection.#onClose);
  }

  static readonly #onPong = function (this: WebSocket): void {
    ownerOf(this).awaitingPong = false;
  };

  static readonly #onError = function (this: WebSocket, err: Error & { code?: string }): void {
    // `ws` closes the connection itself (e.g. 1009 for an oversized message); only note why.
    const connection = ownerOf(this);
    connection.host.logger.debug?.({ connection_id: connection.id, err_code: err.code, err: err.message }, 'websocket error');
  };

  static readonly #onClose = function (this: WebSocket, code: number, reason: Buffer): void {
    ownerOf(this).closed(code, reason.toString('utf8'));
  };

  get transport(): string {
    return 'websocket';
  }

  get encoder(): FrameEncoder {
    return wsFrames;
  }

  /** The underlying `ws` socket (for reading messages; never write through it). */
  get ws(): WebSocket {
    return this.#ws;
  }

  /** Sends a protocol ping (a whole frame written synchronously by `ws`). */
  ping(): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.ping();
  }

  terminateUnresponsive(): void {
    if (this.state === 'closed') return;
    this.host.onUnresponsive(this);
    this.terminate();
  }

  // Never write after `ws` has written (or received) a close frame.
  protected canWrite(): boolean {
    return this.#ws.readyState === WebSocket.OPEN && !this.#socket.destroyed;
  }

  // `ws`'s close timeout destroys the socket if the close frame never drains.
  protected endStream(code: number, reason: string): void {
    this.#ws.close(code, clampReason(reason));
  }

  protected destroyStream(): void {
    this.#ws.terminate();
  }
}

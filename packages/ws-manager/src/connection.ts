import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { CLOSE_CODES, type ChannelName, type Principal, type ServerControlMessage } from '@ns/contracts';
import { WebSocket } from 'ws';
import { admitOverCap } from './backpressure.js';
import { controlFrame, type OutboundFrame } from './frame-builder.js';
import type { FrameCoalescer } from './frame-coalescer.js';
import type { HeartbeatTarget } from './heartbeat.js';
import type { ManagerLogger } from './logger.js';
import { OutboundQueue } from './outbound-queue.js';
import type { Subscription } from './subscription-index.js';

/** Lifecycle of a connection: `accepting` (authenticating) → `open` → `closing` → `closed`. */
export type ConnectionState = 'accepting' | 'open' | 'closing' | 'closed';

/** What a connection needs from the manager that owns it. */
export interface ConnectionHost {
  readonly coalescer: FrameCoalescer;
  readonly maxBufferedBytes: number;
  readonly logger: ManagerLogger;
  /** Per-channel counters, pre-filled with 0 for every channel. */
  readonly delivered: Record<ChannelName, number>;
  readonly dropped: Record<ChannelName, number>;
  onSlowConsumer(connection: Connection): void;
  onUnresponsive(connection: Connection): void;
  onClosed(connection: Connection, code: number, reason: string): void;
}

/** Options of {@link Connection}. */
export interface ConnectionInit {
  /** Connection id; generated when absent. */
  id?: string;
  principal?: Principal | null;
  remoteAddress?: string;
}

// A queue this large is written out at once instead of waiting for the window: a replay or snapshot
// should stream into the socket, not pile up in memory until the timer fires.
const EARLY_FLUSH_BYTES = 64 * 1024;
// WebSocket close reasons are limited to 123 bytes.
const MAX_REASON_BYTES = 123;

const clampReason = (reason: string): string => {
  if (Buffer.byteLength(reason) <= MAX_REASON_BYTES) return reason;
  return Buffer.from(reason).subarray(0, MAX_REASON_BYTES).toString('utf8').replace(/\uFFFD+$/, '');
};

/** Generates a short, unguessable connection id. */
export const newConnectionId = (): string => `c_${randomBytes(9).toString('base64url')}`;

/**
 * One client connection: its principal, subscriptions, heartbeat state and outbound queue. Frames are
 * written to the raw socket beneath `ws`, never through `ws.send`, so that one pre-built frame can go
 * to many sockets; everything this connection sends therefore goes through its one queue, and the only
 * other writers (`ws`'s protocol ping/pong and close frames) write whole frames synchronously, which
 * cannot land inside one of ours.
 */
export class Connection implements HeartbeatTarget {
  readonly id: string;
  readonly remoteAddress: string | undefined;
  /** When the connection was accepted (ms since the Unix epoch). */
  readonly openedAt = Date.now();
  /** Active subscriptions by channel (at most one per channel). */
  readonly subscriptions = new Map<ChannelName, Subscription>();
  /** Subscribes still reading history, by channel; cancelling one makes it end without going live. */
  readonly handovers = new Map<ChannelName, { cancelled: boolean }>();
  readonly queue = new OutboundQueue();
  principal: Principal | null;
  lastPingAt = this.openedAt;
  awaitingPong = false;

  readonly #ws: WebSocket;
  readonly #socket: Duplex;
  readonly #host: ConnectionHost;
  #state: ConnectionState = 'accepting';
  #scheduled = false;
  readonly #closeListeners: ((code: number, reason: string) => void)[] = [];

  constructor(ws: WebSocket, socket: Duplex, host: ConnectionHost, init: ConnectionInit = {}) {
    this.id = init.id ?? newConnectionId();
    this.principal = init.principal ?? null;
    this.remoteAddress = init.remoteAddress;
    this.#ws = ws;
    this.#socket = socket;
    this.#host = host;
    ws.on('pong', () => {
      this.awaitingPong = false;
    });
    ws.on('error', (err: Error & { code?: string }) => {
      // `ws` closes the connection itself (e.g. 1009 for an oversized message); only note why.
      host.logger.debug?.({ connection_id: this.id, err_code: err.code, err: err.message }, 'websocket error');
    });
    ws.once('close', (code: number, reason: Buffer) => this.#onClose(code, reason.toString('utf8')));
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The underlying `ws` socket (for reading messages; never write through it). */
  get ws(): WebSocket {
    return this.#ws;
  }

  /** Bytes queued here plus bytes the socket has not handed to the kernel yet. */
  get bufferedBytes(): number {
    return this.queue.bytes + this.#socket.writableLength;
  }

  /** Authentication is done: events may flow. */
  open(): void {
    if (this.#state === 'accepting') this.#state = 'open';
  }

  /** Queues a control reply (`welcome`, `subscribed`, `pong`, `error`, …). Never dropped. */
  send(message: ServerControlMessage): void {
    if (this.#state !== 'accepting' && this.#state !== 'open') return;
    this.enqueue(controlFrame(message));
  }

  /**
   * Queues a frame for the next window, applying backpressure by delivery class. This is the fan-out's
   * hot path: one comparison and one push when the connection keeps up.
   */
  enqueue(frame: OutboundFrame): void {
    const queue = this.queue;
    const buffered = this.#socket.writableLength;
    if (queue.bytes + buffered + frame.bytes.length <= this.#host.maxBufferedBytes) {
      queue.push(frame);
    } else if (this.#state === 'accepting' || this.#state === 'open') {
      const host = this.#host;
      const admission = admitOverCap(queue, frame, buffered, host.maxBufferedBytes, (f) => {
        if (f.channel !== null) host.dropped[f.channel]++;
      });
      if (admission === 'overflow') {
        this.closeSlowConsumer();
        return;
      }
    } else {
      return;
    }
    if (queue.bytes >= EARLY_FLUSH_BYTES) {
      this.flush();
      return;
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#host.coalescer.schedule(this);
    }
  }

  /** Writes every queued frame together (one corked batch → one writev). Called by the coalescer. */
  flush(): void {
    this.#scheduled = false;
    const frames = this.queue.take();
    const n = frames.length;
    if (n === 0) return;
    const socket = this.#socket;
    // Never write after `ws` has written (or received) a close frame.
    if (this.#ws.readyState !== WebSocket.OPEN || socket.destroyed) return;
    if (n === 1) {
      socket.write((frames[0] as OutboundFrame).bytes);
    } else {
      socket.cork();
      for (let i = 0; i < n; i++) socket.write((frames[i] as OutboundFrame).bytes);
      socket.uncork();
    }
    const delivered = this.#host.delivered;
    for (let i = 0; i < n; i++) {
      const channel = (frames[i] as OutboundFrame).channel;
      if (channel !== null) delivered[channel]++;
    }
  }

  /** Flushes what is queued, then starts the closing handshake with `code` and `reason`. */
  close(code: number = CLOSE_CODES.NORMAL, reason = ''): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.flush();
    this.#state = 'closing';
    this.#ws.close(code, clampReason(reason));
  }

  /**
   * Closes a connection that cannot keep up (4008): what is still queued is discarded (the client
   * resumes with `since`), and `ws`'s close timeout destroys the socket if the close frame never drains.
   */
  closeSlowConsumer(): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.queue.clear();
    this.#state = 'closing';
    this.#host.onSlowConsumer(this);
    this.#ws.close(CLOSE_CODES.SLOW_CONSUMER, 'slow consumer: resume with since');
  }

  /** Destroys the socket without a closing handshake. */
  terminate(): void {
    if (this.#state === 'closed') return;
    this.queue.clear();
    this.#state = 'closing';
    this.#ws.terminate();
  }

  /** Sends a protocol ping (a whole frame written synchronously by `ws`). */
  ping(): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.ping();
  }

  terminateUnresponsive(): void {
    if (this.#state === 'closed') return;
    this.#host.onUnresponsive(this);
    this.terminate();
  }

  /** Registers a listener called once when the connection has closed (after cleanup). */
  onClose(listener: (code: number, reason: string) => void): void {
    if (this.#state === 'closed') listener(1006, '');
    else this.#closeListeners.push(listener);
  }

  #onClose(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.queue.clear();
    this.#host.onClosed(this, code, reason);
    for (const listener of this.#closeListeners.splice(0)) {
      try {
        listener(code, reason);
      } catch (err) {
        this.#host.logger.error({ connection_id: this.id, err }, 'close listener failed');
      }
    }
  }
}

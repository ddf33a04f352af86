import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { CLOSE_CODES, type ChannelName, type Principal, type ServerControlMessage } from '@ns/contracts';
import { admitOverCap } from './backpressure.js';
import type { FrameEncoder, OutboundFrame } from './frame-builder.js';
import type { FrameSink, SinkHost, SinkInit, SinkState } from './frame-sink.js';
import { OutboundQueue } from './outbound-queue.js';

// A queue this large is written out at once instead of waiting for the window: a replay or snapshot
// should stream into the transport, not pile up in memory until the timer fires.
const EARLY_FLUSH_BYTES = 64 * 1024;

/** Called once when a sink has closed; `this` is the sink. */
export type CloseListener = (this: QueuedSink, code: number, reason: string) => void;

/** Generates a short, unguessable sink (connection) id. */
export const newConnectionId = (): string => `c_${randomBytes(9).toString('base64url')}`;

/**
 * A {@link FrameSink} over a byte stream: its one outbound queue (every frame, event or control reply,
 * passes through it, so order holds), backpressure by delivery class against the host's byte cap,
 * writes coalesced once per window by the host's coalescer (one corked batch → one writev), and the
 * lifecycle. A transport subclasses it and supplies only how to tell whether the stream still takes
 * writes, how to end it and how to destroy it; it calls {@link closed} once the stream is gone.
 */
export abstract class QueuedSink implements FrameSink {
  readonly id: string;
  readonly remoteAddress: string | undefined;
  readonly openedAt = Date.now();
  principal: Principal | null;
  // Declared here so every sink has them from construction (one hidden class, no per-sink growth).
  subscriptionSlot: unknown = undefined;
  trackerSlot: unknown = undefined;
  abstract readonly transport: string;
  abstract readonly encoder: FrameEncoder;

  protected readonly host: SinkHost;
  readonly #queue = new OutboundQueue();
  readonly #out: Writable;
  #state: SinkState = 'accepting';
  #scheduled = false;
  /**
   * Made lazily, as one function until a second arrives: most sinks have a single listener. Not a
   * `ListenerList`: one per sink (list, array, error handler) would cost every idle connection ~100 bytes.
   */
  #closeListeners: CloseListener | CloseListener[] | undefined;

  /** `out` is the stream frames are written to (for WebSocket the raw socket beneath `ws`). */
  constructor(host: SinkHost, out: Writable, init: SinkInit = {}) {
    this.id = init.id ?? newConnectionId();
    this.principal = init.principal ?? null;
    this.remoteAddress = init.remoteAddress;
    this.host = host;
    this.#out = out;
  }

  get state(): SinkState {
    return this.#state;
  }

  get bufferedBytes(): number {
    return this.#queue.bytes + this.#out.writableLength;
  }

  /** Bytes queued and not yet handed to the stream. */
  get queuedBytes(): number {
    return this.#queue.bytes;
  }

  get channels(): ChannelName[] {
    return this.host.channelsOf(this);
  }

  /** Authentication is done: events may flow. */
  open(): void {
    if (this.#state === 'accepting') this.#state = 'open';
  }

  send(message: ServerControlMessage): void {
    if (this.#state !== 'accepting' && this.#state !== 'open') return;
    this.enqueue(this.encoder.control(message));
  }

  /** The fan-out's hot path: one comparison and one push when the sink keeps up. */
  enqueue(frame: OutboundFrame): void {
    const queue = this.#queue;
    const host = this.host;
    const buffered = this.#out.writableLength;
    if (queue.bytes + buffered + frame.bytes.length <= host.maxBufferedBytes) {
      queue.push(frame);
    } else if (this.#state === 'accepting' || this.#state === 'open') {
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
      host.coalescer.schedule(this);
    }
  }

  /** Writes every queued frame together (one corked batch → one writev). Called by the coalescer. */
  flush(): void {
    this.#scheduled = false;
    const frames = this.#queue.take();
    const n = frames.length;
    if (n === 0 || !this.canWrite()) return;
    if (n === 1) this.#out.write((frames[0] as OutboundFrame).bytes);
    else this.writeBatch(this.#out, frames);
    const delivered = this.host.delivered;
    for (let i = 0; i < n; i++) {
      const channel = (frames[i] as OutboundFrame).channel;
      if (channel !== null) delivered[channel]++;
    }
  }

  /**
   * Writes two or more frames as one batch. Corked, so a raw socket sends them in one writev; a
   * transport whose every write costs more than a socket write (a chunked HTTP response) overrides it.
   */
  protected writeBatch(out: Writable, frames: readonly OutboundFrame[]): void {
    out.cork();
    for (let i = 0; i < frames.length; i++) out.write((frames[i] as OutboundFrame).bytes);
    out.uncork();
  }

  close(code: number = CLOSE_CODES.NORMAL, reason = ''): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.flush();
    this.#state = 'closing';
    this.endStream(code, reason);
  }

  /**
   * Closes a sink that cannot keep up (4008): what is still queued is discarded (the client resumes
   * with `since`).
   */
  closeSlowConsumer(): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#queue.clear();
    this.#state = 'closing';
    this.host.onSlowConsumer(this);
    this.endStream(CLOSE_CODES.SLOW_CONSUMER, 'slow consumer: resume with since');
  }

  terminate(): void {
    if (this.#state === 'closed') return;
    this.#queue.clear();
    this.#state = 'closing';
    this.destroyStream();
  }

  /**
   * Registers a listener called once when the sink has closed (after the manager's cleanup), with the
   * sink as `this`: one shared function can serve every sink, where a closure would cost each one.
   */
  onClose(listener: CloseListener): void {
    if (this.#state === 'closed') listener.call(this, 1006, '');
    else if (this.#closeListeners === undefined) this.#closeListeners = listener;
    else if (typeof this.#closeListeners === 'function') this.#closeListeners = [this.#closeListeners, listener];
    else this.#closeListeners.push(listener);
  }

  /** True while frames may be written to the stream. */
  protected abstract canWrite(): boolean;
  /** Ends the stream gracefully after what was written (WebSocket: the closing handshake). */
  protected abstract endStream(code: number, reason: string): void;
  /** Destroys the stream without ceremony. */
  protected abstract destroyStream(): void;

  /** The transport calls this once its stream is gone: the host forgets the sink, then listeners run. */
  protected closed(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#queue.clear();
    this.host.onClosed(this, code, reason);
    const listeners = this.#closeListeners;
    this.#closeListeners = undefined;
    if (listeners === undefined) return;
    for (const listener of typeof listeners === 'function' ? [listeners] : listeners) {
      try {
        listener.call(this, code, reason);
      } catch (err) {
        this.host.logger.error({ connection_id: this.id, err }, 'close listener failed');
      }
    }
  }
}

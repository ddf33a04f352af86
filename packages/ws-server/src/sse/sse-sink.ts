import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { CHANNELS, type ServerControlMessage, type StreamCursor } from '@ns/contracts';
import { QueuedSink, type OutboundFrame, type SinkHost, type SinkInit } from '@ns/ws-manager';
import { controlWithId, finalErrorFor, idFrame, positionOf, sseFrames } from './sse-format.js';

/** Options of {@link SseSink}. */
export interface SseSinkInit extends SinkInit {
  /** Where the stream resumes from (`Last-Event-ID` / `?since=`): the cursor its `id:` lines start with. */
  cursor?: StreamCursor;
  /**
   * More than one lossless channel requested: every event then carries the positions of all of them,
   * so its `id:` line is the stream's own. With one, the shared frame's `id:` says it all.
   */
  multiLossless: boolean;
  /** How long a stream that was ended may take to drain before it is destroyed. Default 5 000. */
  closeTimeoutMs?: number;
}

/**
 * One Server-Sent Events stream as a {@link QueuedSink}: the delivery core's queue, byte cap,
 * delivery classes and coalesced writes, with the HTTP response as the byte stream. Event frames are
 * the shared SSE frames of {@link sseFrames}; a stream reading several lossless channels queues its
 * own `id:` line (the cursor of all of them) before each shared event body. Ends with a last `error`
 * message when closed for a reason a WebSocket would have said with a close code (4008, 1001, 1011).
 */
export class SseSink extends QueuedSink {
  readonly transport = 'sse';
  readonly encoder = sseFrames;
  readonly #res: ServerResponse;
  readonly #cursor: StreamCursor;
  readonly #multi: boolean;
  readonly #closeTimeoutMs: number;
  #code = 1006;
  #reason = '';

  constructor(host: SinkHost, res: ServerResponse, init: SseSinkInit) {
    super(host, res, init);
    this.#res = res;
    this.#cursor = { ...init.cursor };
    this.#multi = init.multiLossless;
    this.#closeTimeoutMs = init.closeTimeoutMs ?? 5_000;
    res.once('close', () => this.closed(this.#code, this.#reason));
  }

  /** The positions this stream's `id:` lines have reported so far. */
  get cursor(): StreamCursor {
    return { ...this.#cursor };
  }

  override enqueue(frame: OutboundFrame): void {
    const channel = frame.channel;
    if (this.#multi && channel !== null && frame.delivery === 'lossless') {
      const position = positionOf(frame);
      if (position !== undefined) {
        this.#cursor[channel] = { epoch: position.epoch, seq: position.seq };
        super.enqueue(idFrame(this.#cursor));
        super.enqueue(position.body);
        return;
      }
    }
    super.enqueue(frame);
  }

  override send(message: ServerControlMessage): void {
    if (message.type === 'subscribed' && CHANNELS[message.channel].delivery === 'lossless') {
      if (this.state !== 'accepting' && this.state !== 'open') return;
      // Replayed events follow and move the cursor themselves; until they arrive the client still
      // stands where it resumed from. Without a replay it stands at the channel's head.
      const channel = message.channel;
      if (message.replayed === 0 || this.#cursor[channel]?.epoch !== message.epoch || !message.recovered) {
        this.#cursor[channel] = { epoch: message.epoch, seq: message.replayed === 0 ? message.seq : 0 };
      }
      const cursor = this.#multi ? this.#cursor : { [channel]: this.#cursor[channel] };
      super.enqueue(controlWithId(message, cursor));
      return;
    }
    super.send(message);
  }

  /**
   * One chunk for the whole batch: each `res.write` of a chunked response is four writes to the socket
   * (size line, CRLF, data, CRLF) through Node's HTTP machinery, so a batch of n frames written one by
   * one cost ~2.5× the user CPU of /ws per delivery (bench fanout-1k-1000). Copying the frames into one
   * buffer is cheaper than those writes.
   */
  protected override writeBatch(out: Writable, frames: readonly OutboundFrame[]): void {
    let length = 0;
    for (let i = 0; i < frames.length; i++) length += (frames[i] as OutboundFrame).bytes.length;
    const batch = Buffer.allocUnsafe(length);
    let at = 0;
    for (let i = 0; i < frames.length; i++) at += (frames[i] as OutboundFrame).bytes.copy(batch, at);
    // Corked explicitly: an uncorked `res.write` corks the socket until the next tick, so a burst
    // flushed in one tick would sit in user space, count against the byte cap and close readers that
    // keep up as slow consumers (sse-slow-reader.test.ts caught it). Uncorking hands it to the kernel now.
    out.cork();
    out.write(batch);
    out.uncork();
  }

  protected canWrite(): boolean {
    return !this.#res.destroyed && !this.#res.writableEnded;
  }

  protected endStream(code: number, reason: string): void {
    this.#code = code;
    this.#reason = reason;
    const res = this.#res;
    if (res.destroyed || res.writableEnded) return;
    const last = finalErrorFor(code, reason);
    if (last !== undefined) res.write(this.encoder.control(last).bytes);
    res.end();
    // A reader that stopped reading never drains what is buffered: cut it off, as ws's close timeout does.
    const cutOff = setTimeout(() => res.destroy(), this.#closeTimeoutMs);
    cutOff.unref();
    res.once('close', () => clearTimeout(cutOff));
  }

  protected destroyStream(): void {
    this.#code = 1006;
    this.#res.destroy();
  }
}

import type { ChannelName, Principal, ServerControlMessage } from '@ns/contracts';
import { FrameEncoder, type OutboundFrame } from '../src/frame-builder.js';
import type { FrameSink, SinkState } from '../src/frame-sink.js';

/** Frames as `seq` numbers: the test format writes an event's seq, a control reply's type. */
export const seqFrames = new FrameEncoder({
  event: (e) => Buffer.from(String(e.seq)),
  control: (m) => Buffer.from(m.type),
});

/**
 * A sink that keeps what it is handed, in order, for tests of the subscription owner: event frames as
 * their seqs, control replies as their messages. No transport, no byte cap.
 */
export class RecordingSink implements FrameSink {
  readonly transport = 'recording';
  readonly encoder = seqFrames;
  readonly remoteAddress = undefined;
  readonly openedAt = Date.now();
  principal: Principal | null = null;
  state: SinkState = 'open';
  readonly frames: OutboundFrame[] = [];
  readonly replies: ServerControlMessage[] = [];
  closedWith: { code: number | undefined; reason: string | undefined } | undefined;
  static #next = 0;
  readonly id = `rec_${RecordingSink.#next++}`;

  get bufferedBytes(): number {
    return 0;
  }

  get channels(): ChannelName[] {
    return [];
  }

  /** Seqs of the event frames received. */
  get seqs(): number[] {
    return this.frames.filter((f) => f.channel !== null).map((f) => Number(f.bytes.toString()));
  }

  enqueue(frame: OutboundFrame): void {
    if (this.state === 'open') this.frames.push(frame);
  }

  send(message: ServerControlMessage): void {
    if (this.state === 'open') this.replies.push(message);
  }

  close(code?: number, reason?: string): void {
    this.state = 'closed';
    this.closedWith = { code, reason };
  }

  terminate(): void {
    this.state = 'closed';
  }
}

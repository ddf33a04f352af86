import type { ChannelName } from '@ns/contracts';
import type { OutboundFrame } from './frame-builder.js';

/**
 * The frames waiting for a connection's next write, in order. Every outbound frame of a connection —
 * events and control replies alike — passes through its one queue, so order holds. Removed entries
 * become holes (`null`) instead of being spliced out, keeping removal O(1) once found. The array exists
 * only while frames wait: an idle connection keeps none.
 */
export class OutboundQueue {
  #frames: (OutboundFrame | null)[] | undefined;
  #bytes = 0;
  #live = 0;

  /** Bytes of the frames currently queued. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number of frames currently queued. */
  get length(): number {
    return this.#live;
  }

  push(frame: OutboundFrame): void {
    (this.#frames ??= []).push(frame);
    this.#bytes += frame.bytes.length;
    this.#live++;
  }

  /** Removes and returns the pending frame of `channel` with latest-per-key `key`, if any. */
  removeLatest(channel: ChannelName, key: string): OutboundFrame | undefined {
    const frames = this.#frames;
    if (frames === undefined) return undefined;
    for (let i = frames.length - 1; i >= 0; i--) {
      const f = frames[i];
      if (f != null && f.channel === channel && f.key === key) {
        this.#remove(i, f);
        return f;
      }
    }
    return undefined;
  }

  /** Removes ephemeral frames, oldest first, until at least `bytes` are freed; returns what it removed. */
  removeEphemeral(bytes: number): OutboundFrame[] {
    const removed: OutboundFrame[] = [];
    let freed = 0;
    const frames = this.#frames;
    if (frames === undefined) return removed;
    for (let i = 0; i < frames.length && freed < bytes; i++) {
      const f = frames[i];
      if (f != null && f.delivery === 'ephemeral') {
        this.#remove(i, f);
        removed.push(f);
        freed += f.bytes.length;
      }
    }
    return removed;
  }

  /** Takes every queued frame, in order, and empties the queue. */
  take(): OutboundFrame[] {
    const frames = this.#frames;
    if (frames === undefined) return [];
    this.#frames = undefined;
    const holes = frames.length - this.#live;
    this.#bytes = 0;
    this.#live = 0;
    return holes === 0 ? (frames as OutboundFrame[]) : frames.filter((f): f is OutboundFrame => f !== null);
  }

  /** Drops everything (the connection is gone or is being closed as a slow consumer). */
  clear(): void {
    this.#frames = undefined;
    this.#bytes = 0;
    this.#live = 0;
  }

  #remove(index: number, frame: OutboundFrame): void {
    (this.#frames as (OutboundFrame | null)[])[index] = null;
    this.#bytes -= frame.bytes.length;
    this.#live--;
  }
}

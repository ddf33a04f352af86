import type { OutboundFrame } from './frame-builder.js';
import type { OutboundQueue } from './outbound-queue.js';

/** Default per-connection cap on queued plus socket-buffered bytes (1 MiB). */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

/** What became of a frame offered to a connection over its byte cap. */
export type Admission =
  /** Queued (possibly after dropping ephemeral frames or a latest-per-key predecessor). */
  | 'queued'
  /** Dropped: an ephemeral frame that did not fit. */
  | 'dropped'
  /** A lossless frame (or a latest-per-key frame without predecessor) does not fit: close with 4008. */
  | 'overflow';

/**
 * Backpressure by delivery class (docs/protocol.md#channels) for one connection whose queued bytes plus socket-buffered
 * bytes (`bufferedBytes`) plus `frame` exceed `maxBytes`:
 * ephemeral frames are dropped first (the new one, then pending ones to make room); a latest-per-key
 * frame replaces its pending predecessor for the same channel and key; lossless frames that still do not
 * fit overflow. Every frame dropped is passed to `onDrop`.
 */
export function admitOverCap(
  queue: OutboundQueue,
  frame: OutboundFrame,
  bufferedBytes: number,
  maxBytes: number,
  onDrop: (dropped: OutboundFrame) => void,
): Admission {
  const size = frame.bytes.length;
  if (frame.delivery === 'ephemeral') {
    onDrop(frame);
    return 'dropped';
  }
  const fits = () => queue.bytes + bufferedBytes + size <= maxBytes;
  if (frame.delivery === 'latest' && frame.channel !== null && frame.key !== undefined) {
    const predecessor = queue.removeLatest(frame.channel, frame.key);
    if (predecessor !== undefined) {
      onDrop(predecessor);
      // Replacing a value by one no larger cannot grow the backlog, so it is always allowed.
      if (size <= predecessor.bytes.length || fits()) {
        queue.push(frame);
        return 'queued';
      }
    }
  }
  if (!fits()) {
    for (const f of queue.removeEphemeral(queue.bytes + bufferedBytes + size - maxBytes)) onDrop(f);
  }
  if (!fits()) return 'overflow';
  queue.push(frame);
  return 'queued';
}

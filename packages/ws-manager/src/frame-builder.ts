import { CHANNELS, latestKeyOf, type ChannelName, type DeliveryClass } from '@ns/contracts';
import * as wsModule from 'ws';

/**
 * One WebSocket frame ready for the wire, shared by every connection it is written to, with what
 * backpressure needs to know about it.
 */
export interface OutboundFrame {
  /** The complete frame: header and payload in one buffer, never mutated after it is built. */
  readonly bytes: Buffer;
  /** The event's channel, or `null` for control replies (`welcome`, `subscribed`, `pong`, `error`, …). */
  readonly channel: ChannelName | null;
  /** How the frame may be treated under backpressure; control replies are never dropped. */
  readonly delivery: DeliveryClass | 'control';
  /** Latest-per-key key (`component`) of `latest` channels. */
  readonly key: string | undefined;
}

interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}

// `ws` exports its Sender (lib/sender.js) but @types/ws does not declare it; its static `frame()` is the
// library's own RFC 6455 framing, reused here rather than hand-written.
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };

const TEXT_FRAME: FrameOptions = { fin: true, opcode: 0x01, mask: false, readOnly: true, rsv1: false };

/**
 * Builds one unmasked, final text frame (server → client) around UTF-8 `text`. The header and payload are
 * joined into one buffer so that a connection's window is a list of whole frames.
 */
export function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const parts = Sender.frame(payload, TEXT_FRAME);
  const header = parts[0] as Buffer;
  const out = Buffer.allocUnsafe(header.length + payload.length);
  header.copy(out, 0);
  payload.copy(out, header.length);
  return out;
}

/** A control reply (never dropped, never replaced) as a frame. */
export function controlFrame(message: object): OutboundFrame {
  return { bytes: textFrame(JSON.stringify(message)), channel: null, delivery: 'control', key: undefined };
}

/** The parts of a bus event the frame cache reads (structurally a `BusEvent` of `@ns/event-bus`). */
export interface FramableEvent {
  readonly channel: ChannelName;
  readonly json: string;
  readonly envelope: { readonly data: unknown };
}

/**
 * Builds each event's frame once and hands the same {@link OutboundFrame} to every subscriber. The bus
 * delivers one event to all of a channel's subscribers before the next, so the last event is kept
 * directly; replays (one subscriber, older events) fall back to a WeakMap.
 */
export class EventFrameCache {
  #lastEvent: FramableEvent | undefined;
  #lastFrame: OutboundFrame | undefined;
  readonly #older = new WeakMap<FramableEvent, OutboundFrame>();

  /** The frame of `event`, built on first use. */
  frameOf(event: FramableEvent): OutboundFrame {
    if (event === this.#lastEvent) return this.#lastFrame as OutboundFrame;
    let frame = this.#older.get(event);
    if (frame === undefined) {
      const channel = event.channel;
      frame = {
        bytes: textFrame(event.json),
        channel,
        delivery: CHANNELS[channel].delivery,
        key: latestKeyOf(channel, event.envelope.data),
      };
      this.#older.set(event, frame);
    }
    this.#lastEvent = event;
    this.#lastFrame = frame;
    return frame;
  }
}

import { CHANNELS, latestKeyOf, type ChannelName, type DeliveryClass, type EventType, type ServerControlMessage } from '@ns/contracts';
import * as wsModule from 'ws';

/**
 * One frame ready for the wire in one transport's format, shared by every sink of that transport it
 * is written to, with what backpressure needs to know about it.
 */
export interface OutboundFrame {
  /** The complete frame (for WebSocket: header and payload in one buffer), never mutated after it is built. */
  readonly bytes: Buffer;
  /** The event's channel, or `null` for control replies (`welcome`, `subscribed`, `pong`, `error`, …). */
  readonly channel: ChannelName | null;
  /** How the frame may be treated under backpressure; control replies are never dropped. */
  readonly delivery: DeliveryClass | 'control';
  /** Latest-per-key key (`component`) of `latest` channels. */
  readonly key: string | undefined;
}

/** The parts of a bus event a frame is built from (structurally a `BusEvent` of `@ns/event-bus`). */
export interface FramableEvent {
  readonly channel: ChannelName;
  readonly seq: number;
  /** The envelope serialized once by the bus; transports wrap these bytes, never re-serialize. */
  readonly json: string;
  readonly envelope: { readonly type: EventType; readonly epoch: string; readonly data: unknown };
}

/** How one transport lays out messages on the wire (WebSocket text frames, Server-Sent Events, …). */
export interface FrameFormat {
  /** Bytes of one event; `event.json` is the envelope, already serialized. */
  event(event: FramableEvent): Buffer;
  /** Bytes of one control reply. */
  control(message: ServerControlMessage): Buffer;
}

/**
 * Builds frames in one {@link FrameFormat}, each event's at most once: the fan-out hands one event to
 * every matching sink before the next, so the last event's frame is kept directly; replays (one sink,
 * older events) fall back to a WeakMap. All sinks of a transport share one encoder, so the bytes of an
 * event are built once per transport, not once per client.
 */
export class FrameEncoder {
  readonly format: FrameFormat;
  #lastEvent: FramableEvent | undefined;
  #lastFrame: OutboundFrame | undefined;
  readonly #older = new WeakMap<FramableEvent, OutboundFrame>();

  constructor(format: FrameFormat) {
    this.format = format;
  }

  /** The frame of `event`, built on first use. */
  frameOf(event: FramableEvent): OutboundFrame {
    if (event === this.#lastEvent) return this.#lastFrame as OutboundFrame;
    let frame = this.#older.get(event);
    if (frame === undefined) {
      const channel = event.channel;
      frame = {
        bytes: this.format.event(event),
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

  /** A control reply (never dropped, never replaced) as a frame. */
  control(message: ServerControlMessage): OutboundFrame {
    return { bytes: this.format.control(message), channel: null, delivery: 'control', key: undefined };
  }
}

interface WsFrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}

// `ws` exports its Sender (lib/sender.js) but @types/ws does not declare it; its static `frame()` is the
// library's own RFC 6455 framing, reused here rather than hand-written.
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, options: WsFrameOptions): Buffer[] } };

const TEXT_FRAME: WsFrameOptions = { fin: true, opcode: 0x01, mask: false, readOnly: true, rsv1: false };

/**
 * Builds one unmasked, final WebSocket text frame (server → client) around UTF-8 `text`. The header and
 * payload are joined into one buffer so that a connection's window is a list of whole frames.
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

/** WebSocket framing: every message, event or control reply, is one text frame of its JSON. */
export const WS_TEXT_FORMAT: FrameFormat = {
  event: (event) => textFrame(event.json),
  control: (message) => textFrame(JSON.stringify(message)),
};

/** The encoder every WebSocket {@link Connection} shares. */
export const wsFrames = new FrameEncoder(WS_TEXT_FORMAT);

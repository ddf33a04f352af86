import { CHANNELS, CLOSE_CODES, formatStreamCursor, type ErrorCode, type ServerControlMessage, type StreamCursor } from '@ns/contracts';
import { FrameEncoder, type FramableEvent, type FrameFormat, type OutboundFrame } from '@ns/ws-manager';

// Server-Sent Events framing (https://html.spec.whatwg.org/multipage/server-sent-events.html): every
// message of the /ws protocol is one SSE event of the default type (`message`) whose one `data:` line
// is its JSON — serialized JSON never holds a raw line break, so one line always suffices. Events of
// lossless channels start with an `id:` line, the stream cursor a reconnect sends back as
// `Last-Event-ID`; an event without `id:` leaves the browser's last event id as it was.

/** The channel position an event frame of a lossless channel carries, and its frame without the `id:` line. */
export interface SsePosition {
  readonly epoch: string;
  readonly seq: number;
  /** The same event without its `id:` line, for streams that write a cursor of their own (shared too). */
  readonly body: OutboundFrame;
}

// Keyed by the frame's bytes, which are built once per event and shared by every stream.
const positions = new WeakMap<Buffer, SsePosition>();

/** `id: <cursor>\n`, the line that sets the browser's last event id. */
export const idLine = (cursor: StreamCursor): Buffer => Buffer.from(`id: ${formatStreamCursor(cursor)}\n`, 'utf8');

const dataBlock = (json: string): string => `data: ${json}\n\n`;

/** SSE framing of the protocol's messages. */
export const SSE_FORMAT: FrameFormat = {
  event(event: FramableEvent): Buffer {
    const data = dataBlock(event.json);
    if (CHANNELS[event.channel].delivery !== 'lossless') return Buffer.from(data, 'utf8');
    const { epoch } = event.envelope;
    const id = idLine({ [event.channel]: { epoch, seq: event.seq } });
    const bytes = Buffer.allocUnsafe(id.length + Buffer.byteLength(data));
    id.copy(bytes, 0);
    bytes.write(data, id.length, 'utf8');
    const body: OutboundFrame = { bytes: bytes.subarray(id.length), channel: event.channel, delivery: 'lossless', key: undefined };
    positions.set(bytes, { epoch, seq: event.seq, body });
    return bytes;
  },
  control: (message: ServerControlMessage) => Buffer.from(dataBlock(JSON.stringify(message)), 'utf8'),
};

/** The position carried by an event frame built by {@link sseFrames} (lossless channels only). */
export const positionOf = (frame: OutboundFrame): SsePosition | undefined => positions.get(frame.bytes);

/** The encoder every SSE stream shares: each event's bytes are built once for all streams. */
export const sseFrames = new FrameEncoder(SSE_FORMAT);

/** A control message preceded by an `id:` line (a `subscribed` reply that moves the cursor). */
export function controlWithId(message: ServerControlMessage, cursor: StreamCursor): OutboundFrame {
  const bytes = Buffer.concat([idLine(cursor), SSE_FORMAT.control(message)]);
  return { bytes, channel: null, delivery: 'control', key: undefined };
}

/** The per-stream `id:` line as a frame queued right before a shared event body. */
export function idFrame(cursor: StreamCursor): OutboundFrame {
  return { bytes: idLine(cursor), channel: null, delivery: 'lossless', key: undefined };
}

/** An SSE comment: ignored by EventSource, but it keeps proxies from timing the stream out. */
export const HEARTBEAT_FRAME: OutboundFrame = { bytes: Buffer.from(':\n\n'), channel: null, delivery: 'control', key: undefined };

/** Sets the browser's reconnect delay (ms) — sent once at the start of a stream. */
export const retryPreamble = (ms: number): Buffer => Buffer.from(`retry: ${Math.round(ms)}\n\n`);

/** Close reasons of 4001 whose final `error` is not plain `unauthorized` with the reason as message. */
const UNAUTHORIZED_ENDS = new Map<string, { code: ErrorCode; message: string }>([
  ['token_expired', { code: 'token_expired', message: 'token has expired; reconnect with a new token' }],
  ['token_revoked', { code: 'unauthorized', message: 'token has been revoked; reconnect with a new token' }],
]);

/**
 * The `error` message that ends a stream closed for `closeCode` (the WebSocket close frame has no SSE
 * equivalent, so the stream says it in its last message): `details.close_code` and
 * `details.close_reason` are what /ws would have closed with, so a client follows the same close-code
 * table. 4008 `slow_consumer`, 1001 `unavailable`, 1011 `internal`, 4003 `forbidden` (an
 * administrator's disconnect: the message is its reason), 4001 `unauthorized` or `token_expired`
 * (revoked or expired token). Other codes (1000, 1006) end the stream without one.
 */
export function finalErrorFor(closeCode: number, reason: string): ServerControlMessage | undefined {
  const code: ErrorCode | undefined = (
    {
      [CLOSE_CODES.SLOW_CONSUMER]: 'slow_consumer',
      [CLOSE_CODES.GOING_AWAY]: 'unavailable',
      [CLOSE_CODES.INTERNAL]: 'internal',
      [CLOSE_CODES.FORBIDDEN]: 'forbidden',
      [CLOSE_CODES.UNAUTHORIZED]: 'unauthorized',
    } as Record<number, ErrorCode>
  )[closeCode];
  if (code === undefined) return undefined;
  const known = closeCode === CLOSE_CODES.UNAUTHORIZED ? UNAUTHORIZED_ENDS.get(reason) : undefined;
  return {
    type: 'error',
    code: known?.code ?? code,
    message: known?.message ?? (reason === '' ? code : reason),
    details: { close_code: closeCode, close_reason: reason },
  };
}

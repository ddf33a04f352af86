/** What a {@link FrameReader} reports besides its counters. */
export interface FrameEvents {
  /** A complete text frame while `capture` is on (the buffer is only valid during the call). */
  onText?(payload: Buffer): void;
  /** A ping; the subscriber answers with a pong carrying the same payload. */
  onPing(payload: Buffer): void;
  onClose(): void;
}

/**
 * Incremental parser of server → client WebSocket frames (RFC 6455 §5.2; server frames are unmasked).
 * With `capture` off it reads only frame headers and skips payloads, so counting a delivery costs a few
 * comparisons per frame: the load generator stays far cheaper than the servers it measures. Servers
 * here never fragment messages, so one text frame is one message. `push` may be given a view of a
 * reused read buffer: whatever outlives the call (a split header, captured payload) is copied.
 */
export class FrameReader {
  /** Complete text frames (messages) since construction or the last {@link resetCounters}. */
  textFrames = 0;
  /** Payload bytes of text frames counted in `textFrames`. */
  textBytes = 0;
  /** Parse text payloads and hand them to `onText` (setup replies, seq tracking). */
  capture = false;
  /** Text frames up to this many payload bytes are handed to `onText` even while not capturing (Engine.IO's 1-byte ping). */
  captureTextUpTo = -1;

  #events: FrameEvents;
  #header: Buffer | undefined; // a header split across reads
  #remaining = 0; // payload bytes of the current frame still to come
  #opcode = 0;
  #payloadLength = 0;
  #parts: Buffer[] | undefined; // payload pieces being collected, when the frame is captured

  constructor(events: FrameEvents) {
    this.#events = events;
  }

  /** Forgets a partly read frame (the socket it came from is gone). */
  resetFraming(): void {
    this.#header = undefined;
    this.#remaining = 0;
    this.#parts = undefined;
  }

  resetCounters(): void {
    this.textFrames = 0;
    this.textBytes = 0;
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.#header !== undefined) {
      buf = Buffer.concat([this.#header, chunk]);
      this.#header = undefined;
    }
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, n - i);
        // Copied: the read buffer is reused for the next read (net `onread`).
        this.#parts?.push(Buffer.from(buf.subarray(i, i + take)));
        this.#remaining -= take;
        i += take;
        if (this.#remaining === 0) this.#complete();
        continue;
      }
      if (n - i < 2) {
        this.#header = Buffer.from(buf.subarray(i));
        return;
      }
      const b0 = buf[i] as number;
      let len = (buf[i + 1] as number) & 0x7f;
      let headerLength = 2;
      if (len === 126) headerLength = 4;
      else if (len === 127) headerLength = 10;
      if (n - i < headerLength) {
        this.#header = Buffer.from(buf.subarray(i));
        return;
      }
      if (len === 126) len = buf.readUInt16BE(i + 2);
      else if (len === 127) len = Number(buf.readBigUInt64BE(i + 2));
      i += headerLength;
      this.#opcode = b0 & 0x0f;
      this.#payloadLength = len;
      this.#remaining = len;
      // Control frames are always read; text frames only while capturing.
      this.#parts = this.#opcode >= 8 || (this.#opcode === 1 && (this.capture || len <= this.captureTextUpTo)) ? [] : undefined;
      if (len === 0) this.#complete();
    }
  }

  #complete(): void {
    const parts = this.#parts;
    this.#parts = undefined;
    const payload = parts === undefined ? undefined : parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts ?? []);
    switch (this.#opcode) {
      case 1:
        this.textFrames++;
        this.textBytes += this.#payloadLength;
        if (payload !== undefined) this.#events.onText?.(payload);
        break;
      case 8:
        this.#events.onClose();
        break;
      case 9:
        this.#events.onPing(payload ?? Buffer.alloc(0));
        break;
      default:
        // pong, binary and continuation frames are not used by these servers
        break;
    }
  }
}

/**
 * A client → server frame (RFC 6455 §5.3: clients must mask). The mask key is zero, which leaves the
 * payload as it is: servers do not check the key's randomness, and the load generator saves the XOR.
 */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const extended = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + extended + 4);
  head[0] = 0x80 | opcode;
  if (extended === 0) head[1] = 0x80 | len;
  else if (extended === 2) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

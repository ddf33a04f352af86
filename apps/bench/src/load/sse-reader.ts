/** What an {@link SseReader} reports besides its counters. */
export interface SseEvents {
  /** The `data:` of a complete event while `capture` is on (lines joined with `\n`). */
  onText?(payload: Buffer): void;
  /** The response ended (the last, empty chunk). */
  onClose(): void;
}

const LF = 0x0a;
const SIZE = 0; // reading a chunk-size line
const DATA = 1; // inside a chunk's data
const CRLF = 2; // the CRLF after a chunk's data
const END = 3;

/**
 * Incremental reader of a `text/event-stream` HTTP/1.1 response body in chunked transfer coding (what
 * Node's HTTP server sends for a stream without a length). It counts SSE events — blank-line-terminated
 * blocks whose first line is `id:` or `data:`, so heartbeat comments (`:`) and the `retry:` preamble are
 * not deliveries — by jumping from newline to newline with the native `indexOf`, so counting costs a
 * few calls per event. With `capture` on it also hands each event's data to `onText`. `push` may be
 * given a view of a reused read buffer: whatever outlives the call is copied.
 */
export class SseReader {
  /** Events (blocks with `id:` or `data:`) since construction or the last {@link resetCounters}. */
  textFrames = 0;
  /** Bytes of the blocks counted in `textFrames` (SSE framing included). */
  textBytes = 0;
  /** Parse events and hand their data to `onText` (setup replies, seq tracking). */
  capture = false;
  /** Unused: SSE has no control frames to answer (kept for the subscriber's reader interface). */
  captureTextUpTo = -1;

  #events: SseEvents;
  #state = SIZE;
  #sizeLine = '';
  #chunkLeft = 0;
  #crlfLeft = 0;
  #prevNewline = false; // the last body byte read was LF
  #blockStart = true;
  #blockCounts = false;
  #blockBytes = 0;
  #parts: Buffer[] = [];

  constructor(events: SseEvents) {
    this.#events = events;
  }

  /** Forgets a partly read response (the socket it came from is gone). */
  resetFraming(): void {
    this.#state = SIZE;
    this.#sizeLine = '';
    this.#chunkLeft = 0;
    this.#crlfLeft = 0;
    this.#prevNewline = false;
    this.#blockStart = true;
    this.#blockBytes = 0;
    this.#parts = [];
  }

  resetCounters(): void {
    this.textFrames = 0;
    this.textBytes = 0;
  }

  push(buf: Buffer): void {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.#state === DATA) {
        const take = Math.min(this.#chunkLeft, n - i);
        this.#body(buf, i, i + take);
        this.#chunkLeft -= take;
        i += take;
        if (this.#chunkLeft === 0) {
          this.#state = CRLF;
          this.#crlfLeft = 2;
        }
      } else if (this.#state === CRLF) {
        const skip = Math.min(this.#crlfLeft, n - i);
        this.#crlfLeft -= skip;
        i += skip;
        if (this.#crlfLeft === 0) this.#state = SIZE;
      } else if (this.#state === SIZE) {
        const j = buf.indexOf(LF, i);
        if (j === -1) {
          this.#sizeLine += buf.toString('latin1', i, n);
          return;
        }
        const line = this.#sizeLine + buf.toString('latin1', i, j);
        this.#sizeLine = '';
        i = j + 1;
        const size = Number.parseInt(line, 16); // stops at ";ext" and "\r"
        if (!Number.isFinite(size)) throw new Error(`bad chunk size line ${JSON.stringify(line.slice(0, 40))}`);
        if (size === 0) {
          this.#state = END;
          this.#events.onClose();
          return;
        }
        this.#chunkLeft = size;
        this.#state = DATA;
      } else return;
    }
  }

  /** Body bytes [start, end) of `buf`: finds the blank lines that end events. */
  #body(buf: Buffer, start: number, end: number): void {
    let pos = start;
    while (pos < end) {
      if (this.#blockStart) {
        const b = buf[pos] as number;
        this.#blockCounts = b === 0x69 /* id: */ || b === 0x64 /* data: */;
        this.#blockStart = false;
        this.#blockBytes = 0;
      }
      let j = buf.indexOf(LF, pos);
      if (j >= end) j = -1;
      const upto = j === -1 ? end : j + 1;
      this.#blockBytes += upto - pos;
      if (this.capture) this.#parts.push(Buffer.from(buf.subarray(pos, upto)));
      if (j === -1) {
        this.#prevNewline = false;
        return;
      }
      if (this.#prevNewline && j === pos) this.#endBlock();
      else this.#prevNewline = true;
      pos = j + 1;
    }
  }

  #endBlock(): void {
    this.#prevNewline = false;
    this.#blockStart = true;
    if (this.#blockCounts) {
      this.textFrames++;
      this.textBytes += this.#blockBytes;
    }
    if (this.#parts.length === 0) return;
    const text = Buffer.concat(this.#parts).toString('utf8');
    this.#parts = [];
    const data = text
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(l.startsWith('data: ') ? 6 : 5));
    if (data.length > 0) this.#events.onText?.(Buffer.from(data.join('\n')));
  }
}

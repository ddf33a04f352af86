/** One dispatched Server-Sent Event. */
export interface SseEvent {
  /** The `event:` field; `message` when absent. */
  readonly event: string;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
  /** The stream's last event id after this event (ids persist across events that carry none). */
  readonly lastEventId: string;
}

/**
 * The event-stream interpretation of the HTML standard (§9.2.6) over decoded text chunks: lines end
 * in CRLF, LF or CR; `data`, `event`, `id` and `retry` fields; comments (`:`) reported to `onComment`;
 * an event is dispatched at a blank line when it has data. For environments without `EventSource`
 * (Node) and for readers that need the HTTP status and headers (fetch), which EventSource hides.
 */
export class SseParser {
  lastEventId = '';
  /** The last `retry:` value, in ms. */
  retryMs: number | undefined;
  #pending = '';
  #data: string[] = [];
  #event = '';
  #idBuffer = '';
  #cr = false;
  readonly #onEvent: (event: SseEvent) => void;
  readonly #onComment: (() => void) | undefined;

  constructor(onEvent: (event: SseEvent) => void, onComment?: () => void) {
    this.#onEvent = onEvent;
    this.#onComment = onComment;
  }

  /** Feeds decoded text; may dispatch any number of events. */
  push(chunk: string): void {
    let text = chunk;
    // A CR ending the previous chunk already ended its line; a LF starting this one belongs to it.
    if (this.#cr && text.startsWith('\n')) text = text.slice(1);
    this.#cr = text.endsWith('\r');
    let start = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.#pending + text.slice(start, i);
      this.#pending = '';
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
      this.#line(line);
    }
    this.#pending += text.slice(start);
  }

  #line(line: string): void {
    if (line === '') {
      this.#dispatch();
      return;
    }
    if (line.startsWith(':')) {
      this.#onComment?.();
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.#data.push(value);
        break;
      case 'event':
        this.#event = value;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.#idBuffer = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
  }

  #dispatch(): void {
    this.lastEventId = this.#idBuffer;
    const data = this.#data;
    const event = this.#event;
    this.#data = [];
    this.#event = '';
    if (data.length === 0) return;
    this.#onEvent({ event: event === '' ? 'message' : event, data: data.join('\n'), lastEventId: this.lastEventId });
  }
}

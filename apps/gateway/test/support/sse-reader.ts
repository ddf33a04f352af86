import { request, type IncomingMessage } from 'node:http';
import { SseParser } from '@ns/ws-client';
import { eventually } from '@ns/testkit';

/** One message of a stream with the last event id in force after it. */
export interface StreamMessage {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  msg: Record<string, any>;
  lastEventId: string;
}

/**
 * A Server-Sent Events reader for tests: a real HTTP GET, the bytes parsed as the HTML standard says
 * (the client package's parser), every message kept with the id in force. `pause()` stops reading the
 * socket (a slow reader); `ended` resolves when the server ends the stream.
 */
export class SseReader {
  readonly status: number;
  readonly body: string;
  readonly messages: StreamMessage[] = [];
  comments = 0;
  readonly ended: Promise<void>;
  readonly #res: IncomingMessage;

  private constructor(res: IncomingMessage, body: string) {
    this.#res = res;
    this.status = res.statusCode ?? 0;
    this.body = body;
    const parser = new SseParser(
      (e) => this.messages.push({ msg: JSON.parse(e.data) as Record<string, unknown>, lastEventId: e.lastEventId }),
      () => this.comments++,
    );
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => parser.push(chunk));
    this.ended = new Promise((resolve) => {
      res.once('end', () => resolve());
      res.once('close', () => resolve());
      res.once('error', () => resolve());
    });
  }

  /** Opens `path` on `port`; a non-200 answer is read whole into `body`. */
  static open(port: number, path: string, headers: Record<string, string> = {}): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        if (res.statusCode === 200) {
          resolve(new SseReader(res, ''));
          return;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(new SseReader(res, body)));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** The last event id in force (what an EventSource would send as `Last-Event-ID`). */
  get lastEventId(): string {
    return this.messages.at(-1)?.lastEventId ?? '';
  }

  /** Messages that are events (envelopes) of `channel`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  events(channel?: string): Record<string, any>[] {
    return this.messages.map((m) => m.msg).filter((m) => typeof m.ts === 'number' && typeof m.seq === 'number' && (channel === undefined || m.channel === channel));
  }

  /** Waits for the first message matching `match`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async next(match: (m: Record<string, any>) => boolean, timeoutMs = 20_000): Promise<Record<string, any>> {
    await eventually('a stream message', () => this.messages.some((m) => match(m.msg)), timeoutMs, 10);
    return (this.messages.find((m) => match(m.msg)) as StreamMessage).msg;
  }

  pause(): void {
    this.#res.socket.pause();
  }

  resume(): void {
    this.#res.socket.resume();
  }

  close(): void {
    this.#res.destroy();
  }
}

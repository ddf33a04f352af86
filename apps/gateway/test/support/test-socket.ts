import WebSocket from 'ws';

type Message = Record<string, unknown> & { type?: string };

/**
 * A `ws` client for tests: records every frame, lets a test await the next message matching a
 * predicate (already received ones count), and exposes how the connection closed.
 */
export class TestSocket {
  readonly ws: WebSocket;
  readonly messages: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: { match: (m: Message) => boolean; resolve: (m: Message) => void; from: number }[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Message;
      this.messages.push(m);
      const index = this.messages.length - 1;
      for (const w of [...this.#waiters]) {
        if (index >= w.from && w.match(m)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
  }

  /** Opens a connection and waits for `welcome`. */
  static async open(url: string, options: { headers?: Record<string, string> } = {}): Promise<TestSocket> {
    const ws = new WebSocket(url, 'ns.v1', { headers: options.headers ?? {} });
    const socket = new TestSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    await socket.next((m) => m.type === 'welcome', 0);
    return socket;
  }

  send(message: object): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The first message (at or after index `from`, default all) matching `match`, waiting if none yet. */
  next(match: (m: Message) => boolean, from = 0): Promise<Message> {
    const found = this.messages.slice(from).find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ match, resolve, from }));
  }

  /** Subscribes and waits for the reply (`subscribed` or `error`). */
  async subscribe(channel: string, extra: object = {}): Promise<Message> {
    const id = `sub-${channel}-${this.messages.length}`;
    const from = this.messages.length;
    this.send({ type: 'subscribe', id, channel, ...extra });
    return this.next((m) => m.id === id, from);
  }

  /** Events (envelopes) received so far on `channel`. */
  events(channel?: string): Message[] {
    return this.messages.filter((m) => typeof m.type === 'string' && m.type.includes('.') && (channel === undefined || m.channel === channel));
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }
}

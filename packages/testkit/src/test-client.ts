import { once } from 'node:events';
import { WebSocket } from 'ws';

type ClientOptions = ConstructorParameters<typeof WebSocket>[2];

// Written out, not imported from @ns/contracts: the kit states the wire independently (and the contracts'
// own tests use the kit, so it cannot depend on them).
const SUBPROTOCOL = 'ns.v1';

/** A server message as loosely typed JSON: tests assert on its shape. */
export type Message = Record<string, any>;

/**
 * A real `ws` client for tests: records every message, lets a test await the next message matching a
 * predicate (already received ones count), and exposes how the connection closed.
 */
export class TestClient {
  readonly ws: WebSocket;
  readonly messages: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: { predicate: (m: Message) => boolean; resolve: (m: Message) => void; from: number }[] = [];

  /** Opens `url` without waiting; `protocols` as the WebSocket constructor takes them. */
  constructor(url: string, options?: ClientOptions, protocols?: string | string[]) {
    this.ws = protocols === undefined ? new WebSocket(url, options) : new WebSocket(url, protocols, options);
    this.ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Message;
      this.messages.push(message);
      const index = this.messages.length - 1;
      this.#waiters = this.#waiters.filter((w) => {
        if (index >= w.from && w.predicate(message)) {
          w.resolve(message);
          return false;
        }
        return true;
      });
    });
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
    });
    // A refused or reset connection is reported through `closed` and the test's own expectations.
    this.ws.on('error', () => {});
  }

  /** Connects (no subprotocol, no wait for `welcome`): for tests of the connection layer itself. */
  static async connect(url: string, options?: ClientOptions): Promise<TestClient> {
    const client = new TestClient(url, options);
    await once(client.ws, 'open');
    return client;
  }

  /**
   * Connects as a product client does (the `ns.v1` subprotocol) and waits for `welcome`; rejects with
   * the refusal status when the upgrade is refused.
   */
  static async open(url: string, options: { headers?: Record<string, string> } = {}): Promise<TestClient> {
    const client = new TestClient(url, { headers: options.headers ?? {} }, SUBPROTOCOL);
    await new Promise<void>((resolve, reject) => {
      client.ws.once('open', () => resolve());
      client.ws.once('error', reject);
      client.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    await client.next((m) => m.type === 'welcome');
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first message (received so far or later) matching `predicate`, looking from index `from`. */
  next(predicate: (m: Message) => boolean, from = 0): Promise<Message> {
    const found = this.messages.slice(from).find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ predicate, resolve, from }));
  }

  /** Sends `message` and waits for the reply carrying its `id`. */
  async request(message: Message & { id: string }): Promise<Message> {
    const from = this.messages.length;
    this.send(message);
    return this.next((m) => m.id === message.id, from);
  }

  /** Subscribes and waits for the reply (`subscribed` or `error`). */
  subscribe(channel: string, extra: object = {}): Promise<Message> {
    return this.request({ type: 'subscribe', id: `sub-${channel}-${this.messages.length}`, channel, ...extra });
  }

  /** Events (envelopes: a dotted type) received so far, optionally of one channel, in arrival order. */
  events(channel?: string): Message[] {
    return this.messages.filter((m) => typeof m.type === 'string' && m.type.includes('.') && (channel === undefined || m.channel === channel));
  }

  /** Waits until `count` events of `channel` have arrived. */
  async waitForEvents(channel: string, count: number): Promise<Message[]> {
    while (this.events(channel).length < count) await once(this.ws, 'message');
    return this.events(channel);
  }

  /** Closes (normal closure unless `code` says otherwise) and waits for the close to complete. */
  async close(code = 1000): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(code);
    await this.closed;
  }
}

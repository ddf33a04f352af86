import type { WebSocketConstructor, WebSocketLike } from '../../src/websocket-like.js';

type Listener = (event: never) => void;

/**
 * A scripted stand-in for the WebSocket transport (not for the client under test), so the reconnect
 * schedule can be driven with fake timers. The test plays the server: `serverOpen()`, `serverSend()`,
 * `serverClose()`; what the client sent is in `sent` (parsed JSON).
 */
export class FakeSocket implements WebSocketLike {
  readyState = 0;
  protocol = '';
  readonly sent: Record<string, unknown>[] = [];
  /** Set when the client called close(). */
  closedByClient: { code: number | undefined; reason: string | undefined } | undefined;
  readonly #listeners = new Map<string, Listener[]>();

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {}

  addEventListener(type: string, listener: Listener): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = 2;
  }

  serverOpen(): void {
    this.readyState = 1;
    this.#fire('open', {});
  }

  serverSend(message: object | string): void {
    this.#fire('message', { data: typeof message === 'string' ? message : JSON.stringify(message) });
  }

  /** A binary frame, as a browser delivers it. */
  serverSendBinary(): void {
    this.#fire('message', { data: new ArrayBuffer(4) });
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.#fire('close', { code, reason });
  }

  /** The messages the client sent, of one type. */
  sentOfType(type: string): Record<string, unknown>[] {
    return this.sent.filter((m) => m.type === type);
  }

  #fire(type: string, event: object): void {
    for (const listener of this.#listeners.get(type) ?? []) (listener as (e: object) => void)(event);
  }
}

/** A WebSocket constructor that records every socket the client creates. */
export function fakeWebSocket(): { WebSocket: WebSocketConstructor; sockets: FakeSocket[]; last: () => FakeSocket } {
  const sockets: FakeSocket[] = [];
  const WebSocket = class extends FakeSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  };
  const last = (): FakeSocket => {
    const socket = sockets.at(-1);
    if (socket === undefined) throw new Error('no socket was created');
    return socket;
  };
  return { WebSocket, sockets, last };
}

/** A `welcome` as the gateway sends it on open. */
export function welcome(principal: object | null = null): Record<string, unknown> {
  return {
    type: 'welcome',
    connection_id: 'c_test',
    protocol: 1,
    server_time: 1764115200.5,
    heartbeat_s: 25,
    max_message_bytes: 65536,
    channels: ['threats', 'alerts', 'status', 'metrics', 'events', 'correlations', 'system'],
    principal,
  };
}

/** A principal as `authenticated` carries it. */
export const ANALYST = { id: 'u_1', username: 'alice', roles: ['analyst'], permissions: ['read:events', 'read:alerts'] };

/** A valid `threat.new` envelope. */
export function threat(seq: number, epoch = 'e1', score = 5): Record<string, unknown> {
  return {
    type: 'threat.new',
    channel: 'threats',
    id: `evt_${epoch}_${seq}`,
    seq,
    epoch,
    ts: 1764115200 + seq,
    data: { source_ip: '192.168.1.100', threat_score: score, threat_level: 'high', timestamp: 1764115200 + seq },
  };
}

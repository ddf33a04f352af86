import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UNRESTRICTED_PRINCIPAL, parseClientMessage, type Principal } from '@ns/contracts';
import { EventBus } from '@ns/event-bus';
import { WebSocket, WebSocketServer, type ServerOptions } from 'ws';
import type { Connection } from '../src/connection.js';
import { WsManager, type WsManagerOptions } from '../src/ws-manager.js';

/** A real HTTP server on port 0 whose upgrades go straight to a {@link WsManager} (no auth, no limits). */
export interface ManagerServer {
  bus: EventBus;
  manager: WsManager;
  url: string;
  /** Connections in accept order. */
  accepted: Connection[];
  close(): Promise<void>;
}

export async function startManagerServer(
  options: Omit<WsManagerOptions, 'bus'> & { principal?: Principal | null; bus?: EventBus } = {},
): Promise<ManagerServer> {
  const bus = options.bus ?? new EventBus();
  const manager = new WsManager({ ...options, bus });
  const principal = options.principal === undefined ? UNRESTRICTED_PRINCIPAL : options.principal;
  // `closeTimeout` (ws ≥ 8.18) is missing from @types/ws.
  const wssOptions: ServerOptions & { closeTimeout: number } = { noServer: true, perMessageDeflate: false, closeTimeout: 5_000 };
  const wss = new WebSocketServer(wssOptions);
  const server = http.createServer();
  const accepted: Connection[] = [];
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = manager.accept(ws, socket, { principal });
      accepted.push(connection);
      connection.open();
      ws.on('message', (data) => {
        const parsed = parseClientMessage(String(data));
        if (!parsed.success) {
          manager.replyError(connection, parsed.error.code, parsed.error.message, parsed.id);
          return;
        }
        if (parsed.data.type !== 'auth') void manager.handle(connection, parsed.data);
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    bus,
    manager,
    url: `ws://127.0.0.1:${port}/ws`,
    accepted,
    async close() {
      await manager.close({ graceMs: 500 });
      server.close();
      await bus.close();
    },
  };
}

/** A real `ws` client that records every message it receives. */
export class TestClient {
  readonly ws: WebSocket;
  readonly messages: Record<string, unknown>[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: { predicate: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void; from: number }[] = [];

  constructor(url: string, options?: ConstructorParameters<typeof WebSocket>[2]) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
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
    this.ws.on('error', () => {});
  }

  static async connect(url: string, options?: ConstructorParameters<typeof WebSocket>[2]): Promise<TestClient> {
    const client = new TestClient(url, options);
    await once(client.ws, 'open');
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first message (received so far or later) matching `predicate`, looking from index `from`. */
  next(predicate: (m: Record<string, unknown>) => boolean, from = 0): Promise<Record<string, unknown>> {
    const found = this.messages.slice(from).find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ predicate, resolve, from }));
  }

  /** Sends `message` and waits for the reply carrying its `id`. */
  async request(message: Record<string, unknown> & { id: string }): Promise<Record<string, unknown>> {
    const from = this.messages.length;
    this.send(message);
    return this.next((m) => m.id === message.id, from);
  }

  /** Events (messages with a `seq`) of `channel`, in arrival order. */
  events(channel: string): Record<string, unknown>[] {
    return this.messages.filter((m) => m.channel === channel && typeof m.seq === 'number' && m.type !== 'subscribed');
  }

  /** Waits until `count` events of `channel` have arrived. */
  async waitForEvents(channel: string, count: number): Promise<Record<string, unknown>[]> {
    while (this.events(channel).length < count) await once(this.ws, 'message');
    return this.events(channel);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

export const threat = (score: number, extra: Record<string, unknown> = {}) => ({
  type: 'threat.new' as const,
  data: { source_ip: '192.168.1.100', threat_score: score, threat_level: score >= 7 ? ('high' as const) : ('low' as const), timestamp: 1764115200.1, ...extra },
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A small real WebSocket server speaking the wire protocol (docs/protocol.md) for one lossless channel (`threats`): welcome, auth,
 * subscribe with `since` (replay from an in-memory history, `recovered` true/false), events with
 * per-channel seq and epoch, ping/pong, auth_expiring. It lets the client be proven over real sockets
 * before the gateway exists, and it can misbehave on purpose (terminate, 1001, silence, duplicates).
 */
export interface ProtocolServerOptions {
  /** Tokens the server accepts; with none, connections are anonymous and `auth` is refused. */
  tokens?: readonly string[];
  /** Events retained for replay (default 1000). */
  historyLimit?: number;
  /** Replay this many events before `since` too, like a buggy server would (tests deduplication). */
  replayOverlap?: number;
}

export interface ClientRecord {
  readonly socket: WebSocket;
  /** Every message this connection sent, parsed. */
  readonly received: Record<string, unknown>[];
  authed: boolean;
  subscribed: boolean;
  minScore: number;
  /** Stops answering pings and stops sending anything (a dead path the TCP stack does not notice). */
  silent: boolean;
}

export class ProtocolServer {
  readonly connections: ClientRecord[] = [];
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #options: ProtocolServerOptions;
  #epoch = 'ep1';
  #seq = 0;
  #history: Record<string, unknown>[] = [];
  #epochCounter = 1;
  #waiters: { predicate: () => boolean; resolve: () => void }[] = [];

  private constructor(http: Server, wss: WebSocketServer, options: ProtocolServerOptions) {
    this.#http = http;
    this.#wss = wss;
    this.#options = options;
    wss.on('connection', (socket) => this.#onConnection(socket));
  }

  static async start(options: ProtocolServerOptions = {}): Promise<ProtocolServer> {
    const http = createServer();
    const wss = new WebSocketServer({ server: http, path: '/ws', handleProtocols: (protocols) => (protocols.has('ns.v1') ? 'ns.v1' : false) });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return new ProtocolServer(http, wss, options);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.#http.address() as AddressInfo).port}/ws`;
  }

  get seq(): number {
    return this.#seq;
  }

  get epoch(): string {
    return this.#epoch;
  }

  /** Connections currently open. */
  get live(): ClientRecord[] {
    return this.connections.filter((c) => c.socket.readyState === 1);
  }

  /** Resolves once `predicate` holds; re-checked whenever a connection opens or a message arrives. */
  until(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ predicate, resolve }));
  }

  /** Every message of one type received on any connection, in order. */
  receivedOfType(type: string): Record<string, unknown>[] {
    return this.connections.flatMap((c) => c.received.filter((m) => m.type === type));
  }

  #changed(): void {
    this.#waiters = this.#waiters.filter((w) => (w.predicate() ? (w.resolve(), false) : true));
  }

  /** Appends a threat to the history and sends it to every live subscriber. */
  publish(score = 5): Record<string, unknown> {
    this.#seq += 1;
    const event = {
      type: 'threat.new',
      channel: 'threats',
      id: `evt_${this.#epoch}_${this.#seq}`,
      seq: this.#seq,
      epoch: this.#epoch,
      ts: 1764115200 + this.#seq / 1000,
      data: { source_ip: '203.0.113.7', threat_score: score, threat_level: 'high', timestamp: 1764115200 + this.#seq / 1000 },
    };
    this.#history.push(event);
    const limit = this.#options.historyLimit ?? 1000;
    if (this.#history.length > limit) this.#history.splice(0, this.#history.length - limit);
    for (const c of this.live) if (c.subscribed && !c.silent && score >= c.minScore) c.socket.send(JSON.stringify(event));
    return event;
  }

  /** Forgets the history (as a gateway restart without a shared engine would). */
  dropHistory(): void {
    this.#history = [];
  }

  /** Starts a new epoch: earlier seqs are void. */
  newEpoch(): void {
    this.#epochCounter += 1;
    this.#epoch = `ep${this.#epochCounter}`;
    this.#seq = 0;
    this.#history = [];
  }

  /** Sends a raw text frame to every live connection. */
  sendRaw(text: string): void {
    for (const c of this.live) c.socket.send(text);
  }

  /** Kills every connection without a close frame (the client sees 1006). */
  terminateAll(): void {
    for (const c of this.live) c.socket.terminate();
  }

  /** Closes every connection with a close frame. */
  closeAll(code: number, reason = ''): void {
    for (const c of this.live) c.socket.close(code, reason);
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  #onConnection(socket: WebSocket): void {
    const record: ClientRecord = { socket, received: [], authed: false, subscribed: false, minScore: 0, silent: false };
    this.connections.push(record);
    const send = (message: object): void => {
      if (!record.silent) socket.send(JSON.stringify(message));
    };
    send({
      type: 'welcome',
      connection_id: `c${this.connections.length}`,
      protocol: 1,
      server_time: Date.now() / 1000,
      heartbeat_s: 25,
      max_message_bytes: 65536,
      channels: ['threats', 'alerts', 'status', 'metrics', 'events', 'correlations', 'system'],
      principal: null,
    });
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      record.received.push(message);
      const id = typeof message.id === 'string' ? { id: message.id } : {};
      switch (message.type) {
        case 'auth':
          if (this.#options.tokens?.includes(String(message.token))) {
            record.authed = true;
            send({ type: 'authenticated', ...id, principal: { id: 'u1', roles: ['analyst'], permissions: ['read:events', 'read:alerts'] }, expires_at: null });
          } else {
            send({ type: 'error', ...id, code: 'unauthorized', message: 'invalid token' });
            socket.close(4001, 'unauthorized');
          }
          return;
        case 'subscribe':
          this.#subscribe(record, message, send);
          return;
        case 'unsubscribe':
          record.subscribed = false;
          send({ type: 'unsubscribed', ...id, channel: message.channel });
          return;
        case 'ping':
          send({ type: 'pong', ...id, server_time: Date.now() / 1000 });
          return;
      }
    });
    socket.on('message', () => this.#changed()); // after the handler above has updated the record
    this.#changed();
  }

  #subscribe(record: ClientRecord, message: Record<string, unknown>, send: (m: object) => void): void {
    const filter = (message.filter ?? {}) as { min_score?: number };
    record.minScore = filter.min_score ?? 0;
    const since = message.since as { epoch: string; seq: number } | undefined;
    const oldest = this.#history[0]?.seq as number | undefined;
    // Recoverable when every event after `since` is still retained (or there is nothing after it).
    const recovered =
      since === undefined ||
      (since.epoch === this.#epoch && since.seq <= this.#seq && (since.seq === this.#seq || (oldest !== undefined && oldest <= since.seq + 1)));
    const from = since !== undefined && recovered ? since.seq - (this.#options.replayOverlap ?? 0) : this.#seq;
    const replay = this.#history.filter((e) => (e.seq as number) > from && (e.data as { threat_score: number }).threat_score >= record.minScore);
    const id = typeof message.id === 'string' ? { id: message.id } : {};
    send({ type: 'subscribed', ...id, channel: 'threats', epoch: this.#epoch, seq: this.#seq, recovered, replayed: replay.length });
    for (const e of replay) send(e);
    record.subscribed = true;
  }
}

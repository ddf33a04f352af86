import type { Duplex } from 'node:stream';
import {
  CHANNEL_NAMES,
  CHANNELS,
  CLOSE_CODES,
  DEFAULT_MAX_SUBSCRIPTIONS,
  broadcasterFrom,
  hasPermission,
  toNsError,
  type ChannelName,
  type ErrorCode,
  type ErrorMessage,
  type EventEnvelope,
  type IWebSocketBroadcaster,
  type PingMessage,
  type Principal,
  type SubscribeMessage,
  type UnsubscribeMessage,
} from '@ns/contracts';
import { compileFilter, type BusEvent, type EngineLoss, type EventBus } from '@ns/event-bus';
import type { WebSocket } from 'ws';
import { DEFAULT_MAX_BUFFERED_BYTES } from './backpressure.js';
import { Connection, type ConnectionHost, type ConnectionInit } from './connection.js';
import { ConnectionRegistry } from './connection-registry.js';
import { EventFrameCache } from './frame-builder.js';
import { DEFAULT_WRITE_DELAY_MS, FrameCoalescer } from './frame-coalescer.js';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_PONG_TIMEOUT_MS, Heartbeat } from './heartbeat.js';
import { DEFAULT_REPLAY_BYTES_PER_S, ReplayBudget } from './replay-budget.js';
import { silentLogger, type ManagerLogger } from './logger.js';
import { SubscriptionIndex, type Subscription } from './subscription-index.js';

/** Options of {@link WsManager}. */
export interface WsManagerOptions {
  bus: EventBus;
  /** Coalescing window in milliseconds (`NS_WRITE_DELAY_MS`); 0 = once per event-loop turn. Default 2. */
  writeDelayMs?: number;
  /** Per-connection cap on queued plus socket-buffered bytes. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Protocol ping interval. Default 25 000. */
  heartbeatMs?: number;
  /** Time to answer a ping before the connection is terminated. Default 10 000. */
  pongTimeoutMs?: number;
  /** Subscriptions per connection (`NS_MAX_SUBSCRIPTIONS`). Default 64. */
  maxSubscriptions?: number;
  /**
   * Bytes of replayed events (history after `since`, latest-per-key snapshots) per connection per
   * second, bursts of four times that (`NS_REPLAY_BYTES_PER_S`); see {@link ReplayBudget}. Default 256 KiB.
   */
  replayBytesPerS?: number;
  /** A pino logger (or anything with the same methods). Default: silent. */
  logger?: ManagerLogger;
}

/** Counters of a {@link WsManager}. */
export interface WsManagerStats {
  connections: number;
  /** Live subscriptions per channel. */
  subscriptions: Record<ChannelName, number>;
  /** Event frames written to sockets, per channel. */
  delivered: Record<ChannelName, number>;
  /** Event frames dropped by backpressure (ephemeral, or replaced latest-per-key), per channel. */
  dropped: Record<ChannelName, number>;
  /** Connections closed with 4008. */
  slowConsumerCloses: number;
  /** Connections terminated for not answering a ping. */
  heartbeatTerminations: number;
  /** Connections closed with 4008 because the engine lost events of a lossless channel they read. */
  lossCloses: number;
  /** Subscribes refused (`rate_limited`) because the connection's replay budget was spent. */
  replaysRefused: number;
}

/** Messages the manager answers itself (`auth` belongs to the endpoint). */
export type ManagedMessage = SubscribeMessage | UnsubscribeMessage | PingMessage;

const zeroPerChannel = (): Record<ChannelName, number> =>
  Object.fromEntries(CHANNEL_NAMES.map((c) => [c, 0])) as Record<ChannelName, number>;

/**
 * Connections, subscriptions, heartbeat and the fan-out (docs/architecture.md#fan-out): for each event from the bus, its
 * frame is built once, each subscription's filter is tested, and the same buffer is queued on every
 * matching connection; connections write their queues once per coalescing window, with backpressure
 * by delivery class. Knows nothing of HTTP: the endpoint hands it upgraded sockets with {@link accept}.
 */
export class WsManager implements IWebSocketBroadcaster {
  readonly bus: EventBus;
  readonly heartbeatMs: number;
  readonly maxSubscriptions: number;
  readonly replayBytesPerS: number;
  readonly broadcastThreat: IWebSocketBroadcaster['broadcastThreat'];
  readonly broadcastAlert: IWebSocketBroadcaster['broadcastAlert'];
  readonly broadcastStatus: IWebSocketBroadcaster['broadcastStatus'];
  readonly broadcastMetrics: IWebSocketBroadcaster['broadcastMetrics'];
  readonly publish: IWebSocketBroadcaster['publish'];

  readonly #registry = new ConnectionRegistry();
  readonly #index = new SubscriptionIndex();
  readonly #frames = new EventFrameCache();
  readonly #heartbeat: Heartbeat;
  readonly #host: ConnectionHost;
  readonly #logger: ManagerLogger;
  readonly #unsubscribeBus: (() => void)[];
  #slowConsumerCloses = 0;
  #heartbeatTerminations = 0;
  #lossCloses = 0;
  #replaysRefused = 0;
  readonly #replayBudgets = new WeakMap<Connection, ReplayBudget>();
  #closing: Promise<void> | undefined;
  #onEmpty: (() => void)[] = [];

  constructor(options: WsManagerOptions) {
    this.bus = options.bus;
    this.#logger = options.logger ?? silentLogger;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.maxSubscriptions = options.maxSubscriptions ?? DEFAULT_MAX_SUBSCRIPTIONS;
    this.replayBytesPerS = options.replayBytesPerS ?? DEFAULT_REPLAY_BYTES_PER_S;
    if (!(this.replayBytesPerS > 0)) throw new RangeError('replayBytesPerS must be > 0');
    const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    if (!(maxBufferedBytes > 0)) throw new RangeError('maxBufferedBytes must be > 0');
    this.#host = {
      coalescer: new FrameCoalescer(options.writeDelayMs ?? DEFAULT_WRITE_DELAY_MS),
      maxBufferedBytes,
      logger: this.#logger,
      delivered: zeroPerChannel(),
      dropped: zeroPerChannel(),
      onSlowConsumer: (c) => {
        this.#slowConsumerCloses++;
        this.#logger.warn({ connection_id: c.id, buffered_bytes: c.bufferedBytes }, 'slow consumer closed (4008)');
      },
      onUnresponsive: (c) => {
        this.#heartbeatTerminations++;
        this.#logger.info({ connection_id: c.id }, 'no pong within the heartbeat window; terminating');
      },
      onClosed: (c) => this.#onClosed(c),
    };
    this.#heartbeat = new Heartbeat({
      intervalMs: this.heartbeatMs,
      pongTimeoutMs: options.pongTimeoutMs ?? DEFAULT_PONG_TIMEOUT_MS,
      targets: () => this.#registry.values(),
    });
    // One bus subscription per channel; per-connection filtering happens in the fan-out loop.
    this.#unsubscribeBus = CHANNEL_NAMES.map((channel) => this.bus.subscribe(channel, (event) => this.#fanOut(event)));
    const detachLoss = this.bus.engine.onLoss?.((loss) => this.#onEngineLoss(loss));
    if (detachLoss !== undefined) this.#unsubscribeBus.push(detachLoss);
    const broadcaster = broadcasterFrom((event) => this.bus.publish(event));
    this.broadcastThreat = broadcaster.broadcastThreat;
    this.broadcastAlert = broadcaster.broadcastAlert;
    this.broadcastStatus = broadcaster.broadcastStatus;
    this.broadcastMetrics = broadcaster.broadcastMetrics;
    this.publish = broadcaster.publish;
  }

  /** Coalescing window in milliseconds. */
  get writeDelayMs(): number {
    return this.#host.coalescer.writeDelayMs;
  }

  /**
   * Adopts an upgraded WebSocket. `socket` is the raw socket `ws` was given (the upgrade's socket): the
   * fan-out writes pre-built frames to it directly. The connection starts `accepting`; call
   * `connection.open()` once it is authenticated.
   */
  accept(ws: WebSocket, socket: Duplex, init: ConnectionInit = {}): Connection {
    const connection = new Connection(ws, socket, this.#host, init);
    this.#registry.add(connection);
    if (this.#closing !== undefined) {
      connection.close(CLOSE_CODES.GOING_AWAY, 'server shutting down');
    } else {
      this.#heartbeat.start();
    }
    return connection;
  }

  /** The live connection with `id`. */
  connection(id: string): Connection | undefined {
    return this.#registry.get(id);
  }

  /** Every live connection. */
  connections(): IterableIterator<Connection> {
    return this.#registry.values();
  }

  /** Answers `subscribe`, `unsubscribe` and `ping`. Never throws: failures become `error` replies. */
  async handle(connection: Connection, message: ManagedMessage): Promise<void> {
    try {
      switch (message.type) {
        case 'subscribe':
          await this.subscribe(connection, message);
          return;
        case 'unsubscribe':
          this.unsubscribe(connection, message);
          return;
        case 'ping':
          this.ping(connection, message);
          return;
      }
    } catch (err) {
      this.#logger.error({ connection_id: connection.id, err }, 'message handling failed');
      this.#replyError(connection, 'internal', 'internal error', message.id);
    }
  }

  /**
   * Subscribes `connection` to a channel after checking the principal's permission, the subscription
   * cap and the filter: replies `subscribed` {channel, epoch, seq, recovered, replayed}, queues the
   * replayed events (history after `since`, or the latest-per-key snapshot of `status`/`metrics`), then
   * live events — seq strictly increasing, no gap, no duplicate. Resolves with true when subscribed.
   */
  async subscribe(connection: Connection, message: SubscribeMessage): Promise<boolean> {
    const { channel, id } = message;
    const denied = this.#denial(connection, channel);
    if (denied !== undefined) {
      this.#replyError(connection, denied.code, denied.message, id, { channel });
      return false;
    }
    const replacing = connection.subscriptions.has(channel) || connection.handovers.has(channel);
    if (!replacing && connection.subscriptions.size + connection.handovers.size >= this.maxSubscriptions) {
      this.#replyError(connection, 'too_many_subscriptions', `at most ${this.maxSubscriptions} subscriptions per connection`, id, {
        limit: this.maxSubscriptions,
      });
      return false;
    }
    // A subscribe that replays (a snapshot, or history after `since`) spends the connection's replay
    // budget; while it is in debt such a subscribe is refused and the current subscription stays.
    const replays = message.since !== undefined || CHANNELS[channel].delivery === 'latest';
    let budget: ReplayBudget | undefined;
    if (replays) {
      budget = this.#replayBudgets.get(connection);
      if (budget === undefined) this.#replayBudgets.set(connection, (budget = new ReplayBudget(this.replayBytesPerS)));
      const waitMs = budget.waitMs();
      if (waitMs > 0) {
        this.#replaysRefused++;
        this.#replyError(connection, 'rate_limited', `replays (snapshots and history) are limited to ${this.replayBytesPerS} bytes per second per connection; retry in ${waitMs} ms`, id, {
          channel,
          retry_after_ms: waitMs,
        });
        return false;
      }
    }
    let filter: ((event: EventEnvelope) => boolean) | null = null;
    try {
      if (message.filter !== undefined && Object.keys(message.filter).length > 0) filter = compileFilter(channel, message.filter);
    } catch (err) {
      const e = toNsError(err);
      this.#replyError(connection, e.code, e.message, id);
      return false;
    }

    const handover = { cancelled: false };
    const previous = connection.handovers.get(channel);
    if (previous !== undefined) previous.cancelled = true;
    connection.handovers.set(channel, handover);
    let last: BusEvent | undefined;
    const frames = this.#frames;
    const toLive = (event: BusEvent) => {
      last = event;
      connection.enqueue(frames.frameOf(event));
    };
    let resumed;
    try {
      resumed = await this.bus.resume(channel, { since: message.since, filter: filter ?? undefined }, toLive);
    } catch (err) {
      if (connection.handovers.get(channel) === handover) connection.handovers.delete(channel);
      const e = toNsError(err);
      this.#replyError(connection, e.code, e.message, id);
      return false;
    }
    if (handover.cancelled || connection.state !== 'open') {
      resumed.unsubscribe();
      if (connection.handovers.get(channel) === handover) connection.handovers.delete(channel);
      return false;
    }
    connection.handovers.delete(channel);
    const old = connection.subscriptions.get(channel);
    if (old !== undefined) this.#index.remove(old);

    // Without a cursor, lossless channels start live (history is served over HTTP); latest-per-key
    // channels always start with their snapshot.
    const replay = message.since === undefined && CHANNELS[channel].delivery !== 'latest' ? [] : resumed.replay;
    connection.send({
      type: 'subscribed',
      ...(id === undefined ? {} : { id }),
      channel,
      epoch: resumed.epoch,
      seq: resumed.seq,
      recovered: resumed.recovered,
      replayed: replay.length,
    });
    let replayedBytes = 0;
    for (const event of replay) {
      const frame = frames.frameOf(event);
      replayedBytes += frame.bytes.length;
      connection.enqueue(frame);
    }
    budget?.spend(replayedBytes);
    // Synchronously: deliver what arrived during the read, stop the handover, join the fan-out index.
    resumed.start();
    resumed.unsubscribe();
    const subscription: Subscription = {
      connection,
      channel,
      filter,
      epoch: last?.envelope.epoch ?? resumed.epoch,
      lastSeq: last?.seq ?? resumed.seq,
    };
    if (connection.state !== 'open') return false;
    this.#index.add(subscription);
    this.#logger.debug?.({ connection_id: connection.id, channel, since: message.since, replayed: replay.length }, 'subscribed');
    return true;
  }

  /** Leaves a channel (idempotent) and replies `unsubscribed`. */
  unsubscribe(connection: Connection, message: UnsubscribeMessage): void {
    const { channel, id } = message;
    const handover = connection.handovers.get(channel);
    if (handover !== undefined) {
      handover.cancelled = true;
      connection.handovers.delete(channel);
    }
    const subscription = connection.subscriptions.get(channel);
    if (subscription !== undefined) this.#index.remove(subscription);
    connection.send({ type: 'unsubscribed', ...(id === undefined ? {} : { id }), channel });
  }

  /** Replies `pong` to an application-level `ping`. */
  ping(connection: Connection, message: PingMessage): void {
    connection.send({ type: 'pong', ...(message.id === undefined ? {} : { id: message.id }), server_time: Date.now() / 1000 });
  }

  /**
   * Changes who a connection acts as (authentication, token refresh). Subscriptions the new principal
   * may not read are ended, each with a `forbidden` error naming the channel.
   */
  setPrincipal(connection: Connection, principal: Principal | null): void {
    connection.principal = principal;
    for (const subscription of [...connection.subscriptions.values()]) {
      const denied = this.#denial(connection, subscription.channel);
      if (denied === undefined) continue;
      this.#index.remove(subscription);
      this.#replyError(connection, denied.code, `${denied.message}; unsubscribed`, undefined, { channel: subscription.channel });
    }
  }

  /** Sends an `error` reply. */
  replyError(connection: Connection, code: ErrorCode, message: string, id?: string, details?: Record<string, unknown>): void {
    this.#replyError(connection, code, message, id, details);
  }

  /** A copy of the counters. */
  stats(): WsManagerStats {
    return {
      connections: this.#registry.size,
      subscriptions: this.#index.counts(),
      delivered: { ...this.#host.delivered },
      dropped: { ...this.#host.dropped },
      slowConsumerCloses: this.#slowConsumerCloses,
      heartbeatTerminations: this.#heartbeatTerminations,
      lossCloses: this.#lossCloses,
      replaysRefused: this.#replaysRefused,
    };
  }

  /**
   * Graceful shutdown: stops the heartbeat, flushes every connection and closes it with 1001, waits up
   * to `graceMs` (default 10 000) for clients to complete the closing handshake, then terminates the
   * stragglers. New connections are refused from the start. Idempotent.
   */
  close(options: { graceMs?: number; notice?: string } = {}): Promise<void> {
    this.#closing ??= this.#shutdown(options.graceMs ?? 10_000, options.notice ?? 'server shutting down');
    return this.#closing;
  }

  async #shutdown(graceMs: number, notice: string): Promise<void> {
    this.#heartbeat.stop();
    for (const connection of [...this.#registry.values()]) connection.close(CLOSE_CODES.GOING_AWAY, notice);
    await this.#whenEmpty(graceMs);
    for (const connection of [...this.#registry.values()]) connection.terminate();
    // A terminated socket reports 'close' on a later tick.
    await this.#whenEmpty(1_000);
    for (const unsubscribe of this.#unsubscribeBus) unsubscribe();
    this.#host.coalescer.close();
  }

  #whenEmpty(timeoutMs: number): Promise<void> {
    if (this.#registry.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#onEmpty.push(done);
    });
  }

  #fanOut(event: BusEvent): void {
    const subscriptions = this.#index.of(event.channel);
    if (subscriptions.size === 0) return;
    const frame = this.#frames.frameOf(event);
    const envelope = event.envelope;
    const { epoch, seq } = envelope;
    for (const s of subscriptions) {
      // The replay → live boundary: never hand a connection the same event twice.
      if (s.lastSeq >= seq && s.epoch === epoch) continue;
      if (s.filter !== null && !s.filter(envelope)) continue;
      s.lastSeq = seq;
      s.epoch = epoch;
      s.connection.enqueue(frame);
    }
  }

  /**
   * The engine will never deliver `loss.fromSeq..toSeq` of a lossless channel (docs/protocol.md#channels: never
   * dropped for a live connection). Every connection that would otherwise see a silent seq jump is
   * closed with 4008 after what it already has queued (all before the gap) is flushed: clients resume
   * with `since` and are told `recovered: false`, as after a slow-consumer close. Connections whose
   * replay already went past the gap, or that read other channels only, are untouched.
   */
  #onEngineLoss(loss: EngineLoss): void {
    if (CHANNELS[loss.channel].delivery !== 'lossless') return;
    const affected = new Set<Connection>();
    for (const s of [...this.#index.of(loss.channel)]) {
      if (s.epoch === loss.epoch && s.lastSeq >= loss.toSeq) continue;
      this.#index.remove(s);
      affected.add(s.connection);
    }
    // A subscription being handed over (history read in flight) could bridge the gap unnoticed.
    for (const c of this.#registry.values()) if (c.handovers.has(loss.channel)) affected.add(c);
    for (const c of affected) {
      if (c.state === 'closing' || c.state === 'closed') continue;
      this.#lossCloses++;
      c.close(CLOSE_CODES.SLOW_CONSUMER, 'events lost: resume with since');
    }
    this.#logger.warn({ ...loss, closed: affected.size }, 'engine lost events of a lossless channel; subscribers closed (4008)');
  }

  #denial(connection: Connection, channel: ChannelName): { code: ErrorCode; message: string } | undefined {
    const permission = CHANNELS[channel].readPermission;
    if (connection.state !== 'open') return { code: 'unauthorized', message: 'authenticate first' };
    if (permission === null || hasPermission(connection.principal, permission)) return undefined;
    if (connection.principal === null) return { code: 'unauthorized', message: `channel ${channel} requires ${permission}; authenticate first` };
    return { code: 'forbidden', message: `channel ${channel} requires ${permission}` };
  }

  #replyError(connection: Connection, code: ErrorCode, message: string, id?: string, details?: Record<string, unknown>): void {
    const reply: ErrorMessage = { type: 'error', code, message };
    if (id !== undefined) reply.id = id;
    if (details !== undefined) reply.details = details;
    connection.send(reply);
  }

  #onClosed(connection: Connection): void {
    for (const handover of connection.handovers.values()) handover.cancelled = true;
    connection.handovers.clear();
    this.#index.removeConnection(connection);
    this.#registry.delete(connection);
    if (this.#registry.size === 0) {
      this.#heartbeat.stop();
      for (const done of this.#onEmpty.splice(0)) done();
    }
  }
}

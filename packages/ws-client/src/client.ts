import type { ChannelEvent, ChannelName, ServerControlMessage, SinceCursor } from '@ns/contracts';
// From the zod-free wire entry, so the browser bundle carries the constant and none of the schemas.
import { SUBPROTOCOL } from '@ns/contracts/wire';
import { Attempt } from './attempt.js';
import { Backoff, resolveBackoff } from './backoff.js';
import { NsClientError, type ClientErrorCode } from './client-error.js';
import { ClientSignals } from './client-signals.js';
import { ABNORMAL_CLOSURE, FAILED, isPromiseLike, nonNegative, redactToken, safeClose } from './client-support.js';
import { closeAction } from './close-policy.js';
import { classifyFrame } from './inbound.js';
import { ResumingSubscriptions } from './resuming-subscriptions.js';
import type { EventHandler, Subscription } from './subscriptions.js';
import { TokenSource } from './token-source.js';
import type { ClientEvents, ClientOptions, ClientState, ClientStats, NsClient, SubscribeOptions } from './types.js';
import { transports, type TransportName, type Transports } from './transport.js';
import type { WebSocketConstructor, WebSocketLike } from './websocket-like.js';

/**
 * Creates a gateway client and starts connecting.
 *
 * ```ts
 * const client = createClient({ url: 'wss://gw.example/ws', getToken: () => auth.token() });
 * const off = client.subscribe('threats', { filter: { min_score: 7 } }, (e) => console.log(e.data.source_ip));
 * client.on('gap', ({ channel }) => reload(channel));
 * ```
 */
export function createClient(options: ClientOptions): NsClient {
  return new GatewayClient(options);
}

/**
 * The connection lifecycle: attempts, handshake, reconnect policy, keep-alive and control frames.
 * Subscriptions and their resume cursors live in {@link ResumingSubscriptions}, tokens in
 * {@link TokenSource}, each attempt's socket and timers in {@link Attempt}, what the app hears in
 * {@link ClientSignals}.
 */
class GatewayClient implements NsClient {
  readonly #url: string;
  readonly #transports: Transports;
  readonly #tokens: TokenSource;
  readonly #backoff: Backoff;
  readonly #pingIntervalMs: number;
  readonly #pongTimeoutMs: number;
  readonly #connectTimeoutMs: number;

  readonly #signals = new ClientSignals();
  readonly #subscriptions: ResumingSubscriptions;

  #connection: Attempt | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #requestCounter = 0;
  #opens = 0;

  constructor(options: ClientOptions) {
    this.#transports = transports(options.transport ?? 'websocket', options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket);
    this.#signals.transport = () => this.#transports.current;
    this.#url = options.url;
    this.#tokens = new TokenSource(options.token, options.getToken, (message, cause) =>
      this.#signals.report('get_token_failed', message, { cause }),
    );
    this.#backoff = new Backoff(resolveBackoff(options.backoff), options.random ?? Math.random);
    this.#pingIntervalMs = nonNegative('pingIntervalMs', options.pingIntervalMs ?? 20_000);
    this.#pongTimeoutMs = nonNegative('pongTimeoutMs', options.pongTimeoutMs ?? 10_000);
    this.#connectTimeoutMs = nonNegative('connectTimeoutMs', options.connectTimeoutMs ?? 15_000);
    this.#subscriptions = new ResumingSubscriptions({
      emit: (event, payload) => this.#signals.emit(event, payload),
      handlerFailed: (channel, cause) => this.#signals.report('handler_failed', `a subscribe('${channel}') handler threw`, { channel, cause }, true),
    });
    this.#connect();
  }

  get state(): ClientState {
    return this.#signals.state;
  }

  get transport(): TransportName {
    return this.#transports.current;
  }

  subscribe<C extends ChannelName>(channel: C, options: SubscribeOptions<C>, handler: (event: ChannelEvent<C>) => void): () => void;
  subscribe<C extends ChannelName>(channel: C, handler: (event: ChannelEvent<C>) => void): () => void;
  subscribe<C extends ChannelName>(
    channel: C,
    optionsOrHandler: SubscribeOptions<C> | ((event: ChannelEvent<C>) => void),
    maybeHandler?: (event: ChannelEvent<C>) => void,
  ): () => void {
    const options = typeof optionsOrHandler === 'function' ? {} : optionsOrHandler;
    const handler = typeof optionsOrHandler === 'function' ? optionsOrHandler : maybeHandler;
    if (handler === undefined) throw new TypeError('subscribe(channel, options, handler): handler is required');
    if (this.#signals.state === 'closed') return () => {};

    const { subscription, created, remove } = this.#subscriptions.add(channel, options.since, options.filter, handler as EventHandler);
    if (created && this.#connection?.ready === true) this.#sendSubscribe(this.#connection, subscription);
    return () => {
      if (!remove()) return;
      const connection = this.#connection;
      if (connection?.ready === true) connection.send({ type: 'unsubscribe', channel });
    };
  }

  on<K extends keyof ClientEvents>(event: K, listener: (payload: ClientEvents[K]) => void): () => void {
    return this.#signals.on(event, listener);
  }

  cursor(channel: ChannelName): SinceCursor | undefined {
    const cursor = this.#subscriptions.cursor(channel);
    return cursor === undefined ? undefined : { ...cursor };
  }

  cursors(): Partial<Record<ChannelName, SinceCursor>> {
    return this.#subscriptions.cursors();
  }

  stats(): ClientStats {
    return { delivered: this.#subscriptions.delivered, duplicates: this.#subscriptions.duplicates, reconnects: Math.max(0, this.#opens - 1) };
  }

  close(): void {
    if (this.#signals.state === 'closed') return;
    clearTimeout(this.#reconnectTimer);
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection !== undefined) {
      connection.stopTimers();
      safeClose(connection.ws, 1000, 'client closed');
    }
    this.#signals.setState('closed', {});
  }

  // --- connection lifecycle -----------------------------------------------------------------------

  #connect(): void {
    this.#reconnectTimer = undefined;
    const token = this.#tokens.forAttempt();
    // Synchronous when no getToken() promise is involved, so the socket exists as soon as createClient returns.
    if (isPromiseLike(token)) void token.then((t) => this.#open(t));
    else this.#open(token);
  }

  #open(token: string | undefined | typeof FAILED): void {
    if (this.#isClosed()) return; // close() was called while getToken() ran
    if (token === FAILED) {
      this.#scheduleReconnect(this.#backoff.next(), {});
      return;
    }
    let ws: WebSocketLike;
    try {
      ws = this.#transports.create(this.#url, [SUBPROTOCOL]);
    } catch (err) {
      // A malformed URL or a blocked port: the same call will throw again.
      this.#signals.report('connect_failed', `cannot open a WebSocket to ${redactToken(this.#url)}`, { cause: err });
      this.#signals.setState('closed', {});
      return;
    }
    const connection = new Attempt(ws, token);
    this.#connection = connection;
    connection.startConnectDeadline(this.#connectTimeoutMs, () =>
      this.#abandon(connection, 'connect_timeout', `no welcome within ${this.#connectTimeoutMs} ms`),
    );
    ws.addEventListener('open', () => {
      if (this.#connection !== connection) return;
      // Browsers cannot set an Authorization header on a WebSocket, so credentials go in the first frame.
      if (connection.token !== undefined) connection.send({ type: 'auth', id: this.#nextId('a'), token: connection.token });
    });
    ws.addEventListener('message', (event) => {
      if (this.#connection === connection) this.#onFrame(connection, event.data);
    });
    ws.addEventListener('close', (event) => {
      if (this.#connection === connection) void this.#onClose(connection, event.code, event.reason);
    });
    // An error is always followed by a close, which is where recovery happens; the listener also keeps
    // Node's `ws` from treating the error as unhandled.
    ws.addEventListener('error', () => {});
  }

  // A method rather than a field read, so TypeScript does not carry a narrowing across an `await`.
  #isClosed(): boolean {
    return this.#signals.state === 'closed';
  }

  #maybeReady(connection: Attempt): void {
    if (connection.ready || connection.welcome === undefined) return;
    // A principal in `welcome` means the connection is already authorized (header credentials, or a
    // gateway with auth disabled); otherwise our `auth` frame must be answered first.
    const authorized = connection.token === undefined || connection.authenticated || connection.welcome.principal !== null;
    if (!authorized) return;
    connection.ready = true;
    connection.handshakeDone();
    this.#backoff.reset();
    this.#opens += 1;
    // Resubscribe before announcing `open`, so a state listener that subscribes is not sent twice.
    for (const subscription of this.#subscriptions.all()) this.#sendSubscribe(connection, subscription);
    connection.startPing(
      this.#pingIntervalMs,
      this.#pongTimeoutMs,
      () => connection.send({ type: 'ping', id: this.#nextId('p') }),
      () => this.#abandon(connection, 'pong_timeout', `no frame within ${this.#pongTimeoutMs} ms of a ping`),
    );
    this.#signals.setState('open', {});
  }

  async #onClose(connection: Attempt, code: number, reason: string): Promise<void> {
    this.#detach(connection);
    if (this.#signals.state === 'closed') return;
    const info = { closeCode: code, reason };
    switch (closeAction(code)) {
      case 'immediate':
        // Immediate only after a connection that worked: a gateway refusing every new connection with
        // 1001 must not be hammered in a tight loop.
        this.#scheduleReconnect(connection.ready ? 0 : this.#backoff.next(), info);
        return;
      case 'backoff':
        this.#scheduleReconnect(this.#backoff.next(), info);
        return;
      case 'token': {
        const token = await this.#tokens.refreshed(connection.token);
        if (this.#isClosed()) return; // close() was called while getToken() ran
        if (token !== undefined) {
          this.#tokens.useNext(token);
          this.#scheduleReconnect(this.#backoff.next(), info);
          return;
        }
        this.#fail(code, reason, 'the gateway refused the credentials and getToken() gave no new token');
        return;
      }
      case 'stop':
        this.#fail(code, reason, 'retrying cannot succeed');
        return;
    }
  }

  #fail(code: number, reason: string, why: string): void {
    this.#signals.report('closed', `connection closed with ${code}${reason === '' ? '' : ` (${reason})`}; ${why}`, { closeCode: code });
    this.#signals.setState('closed', { closeCode: code, reason });
  }

  /** Gives up on a connection that is not answering, without waiting for a close handshake that may never come. */
  #abandon(connection: Attempt, code: ClientErrorCode, message: string): void {
    if (this.#connection !== connection) return;
    this.#signals.report(code, message);
    // Best effort: on a dead path the close frame never arrives, which is why we do not wait for it.
    safeClose(connection.ws, 1000, code);
    void this.#onClose(connection, ABNORMAL_CLOSURE, code);
  }

  #detach(connection: Attempt): void {
    connection.stopTimers();
    if (this.#connection === connection) this.#connection = undefined;
    this.#subscriptions.connectionLost();
  }

  #scheduleReconnect(delayMs: number, info: { closeCode?: number; reason?: string }): void {
    this.#signals.setState('reconnecting', { ...info, delayMs, attempt: this.#backoff.attempt });
    this.#reconnectTimer = setTimeout(() => this.#connect(), delayMs);
  }

  // --- inbound ------------------------------------------------------------------------------------

  #onFrame(connection: Attempt, data: unknown): void {
    connection.sawFrame();
    const frame = classifyFrame(data);
    switch (frame.kind) {
      case 'event':
        this.#subscriptions.onEvent(frame.event);
        return;
      case 'control':
        this.#onControl(connection, frame.message);
        return;
      case 'invalid':
        this.#signals.report('invalid_frame', frame.reason, { details: { frame: typeof data === 'string' ? data.slice(0, 256) : typeof data } });
        return;
    }
  }

  #onControl(connection: Attempt, message: ServerControlMessage): void {
    switch (message.type) {
      case 'welcome':
        connection.welcome = message;
        this.#signals.emit('welcome', message);
        this.#maybeReady(connection);
        return;
      case 'authenticated':
        connection.authenticated = true;
        this.#signals.emit('authenticated', message);
        this.#maybeReady(connection);
        return;
      case 'subscribed':
        this.#subscriptions.onSubscribed(message);
        return;
      case 'unsubscribed':
      case 'pong':
        return;
      case 'error': {
        const channel = this.#subscriptions.takeRequest(message.id);
        this.#signals.emitError(
          new NsClientError('server', message.code, message.message, { channel, requestId: message.id, details: message.details }),
        );
        return;
      }
      case 'auth_expiring':
        void this.#refreshBeforeExpiry(connection);
        return;
    }
  }

  async #refreshBeforeExpiry(connection: Attempt): Promise<void> {
    const token = await this.#tokens.beforeExpiry();
    if (token === FAILED || this.#connection !== connection) return;
    if (token === undefined || token === connection.token) {
      this.#signals.report('get_token_failed', 'getToken() gave no new token before the current one expires');
      return;
    }
    connection.token = token;
    connection.send({ type: 'auth', id: this.#nextId('a'), token });
  }

  // --- outbound -----------------------------------------------------------------------------------

  #sendSubscribe(connection: Attempt, subscription: Subscription): void {
    connection.send(this.#subscriptions.subscribeRequest(subscription, this.#nextId('s')));
  }

  #nextId(prefix: string): string {
    this.#requestCounter += 1;
    return `${prefix}${this.#requestCounter}`;
  }
}

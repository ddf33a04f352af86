import type {
  ChannelEvent,
  ChannelName,
  ClientMessage,
  EventEnvelope,
  ServerControlMessage,
  SinceCursor,
  WelcomeMessage,
} from '@ns/contracts';
// From the zod-free wire entry, so the browser bundle carries the constant and none of the schemas.
import { SUBPROTOCOL } from '@ns/contracts/wire';
import { Backoff, resolveBackoff } from './backoff.js';
import { NsClientError, type ClientErrorCode } from './client-error.js';
import { closeAction } from './close-policy.js';
import { CursorStore } from './cursor-store.js';
import { Emitter } from './emitter.js';
import { classifyFrame } from './inbound.js';
import { SubscriptionRegistry, type EventHandler, type Subscription } from './subscriptions.js';
import type { ClientEvents, ClientOptions, ClientState, ClientStats, NsClient, StateChange, SubscribeOptions } from './types.js';
import { WS_OPEN, type WebSocketConstructor, type WebSocketLike } from './websocket-like.js';

/** Close code the client reports for a connection that died without a close frame. */
const ABNORMAL_CLOSURE = 1006;

type Timer = ReturnType<typeof setTimeout>;

/** One connection attempt and everything scoped to it; events of a stale attempt are ignored. */
interface Connection {
  readonly ws: WebSocketLike;
  /** The token this connection authenticates with, if any. */
  token: string | undefined;
  welcome: WelcomeMessage | undefined;
  authenticated: boolean;
  ready: boolean;
  connectTimer: Timer | undefined;
  pingTimer: ReturnType<typeof setInterval> | undefined;
  pongTimer: Timer | undefined;
}

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

class GatewayClient implements NsClient {
  readonly #url: string;
  readonly #WebSocket: WebSocketConstructor;
  readonly #staticToken: string | undefined;
  readonly #getToken: ClientOptions['getToken'];
  readonly #backoff: Backoff;
  readonly #pingIntervalMs: number;
  readonly #pongTimeoutMs: number;
  readonly #connectTimeoutMs: number;

  readonly #events: Emitter<ClientEvents>;
  readonly #subscriptions = new SubscriptionRegistry();
  readonly #cursors = new CursorStore();
  /** Which channel each pending subscribe request id was for, to attach server errors to it. */
  readonly #requests = new Map<string, ChannelName>();

  #state: ClientState = 'connecting';
  #connection: Connection | undefined;
  #reconnectTimer: Timer | undefined;
  /** A token obtained after a refusal (4001/4003), used by the next attempt. */
  #nextToken: string | undefined;
  #requestCounter = 0;
  #opens = 0;
  #delivered = 0;
  #duplicates = 0;

  constructor(options: ClientOptions) {
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (ctor === undefined) {
      throw new TypeError("no WebSocket implementation: pass options.WebSocket (in Node: `import { WebSocket } from 'ws'`)");
    }
    this.#url = options.url;
    this.#WebSocket = ctor;
    this.#staticToken = options.token;
    this.#getToken = options.getToken;
    this.#backoff = new Backoff(resolveBackoff(options.backoff), options.random ?? Math.random);
    this.#pingIntervalMs = nonNegative('pingIntervalMs', options.pingIntervalMs ?? 20_000);
    this.#pongTimeoutMs = nonNegative('pongTimeoutMs', options.pongTimeoutMs ?? 10_000);
    this.#connectTimeoutMs = nonNegative('connectTimeoutMs', options.connectTimeoutMs ?? 15_000);
    this.#events = new Emitter<ClientEvents>({
      onListenerError: (err, event) => {
        if (event === 'error') reportUncaught(err);
        else this.#report('listener_failed', `an on('${String(event)}') listener threw`, { cause: err });
      },
    });
    this.#connect();
  }

  get state(): ClientState {
    return this.#state;
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
    if (this.#state === 'closed') return () => {};

    const { subscription, created, remove } = this.#subscriptions.add(channel, options.filter, handler as EventHandler);
    if (created) {
      if (options.since !== undefined) this.#cursors.set(channel, options.since);
      if (this.#connection?.ready === true) this.#sendSubscribe(this.#connection, subscription);
    }
    return () => {
      if (!remove()) return;
      this.#cursors.delete(channel);
      const connection = this.#connection;
      if (connection?.ready === true) this.#send(connection, { type: 'unsubscribe', channel });
    };
  }

  on<K extends keyof ClientEvents>(event: K, listener: (payload: ClientEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  cursor(channel: ChannelName): SinceCursor | undefined {
    const cursor = this.#cursors.get(channel);
    return cursor === undefined ? undefined : { ...cursor };
  }

  cursors(): Partial<Record<ChannelName, SinceCursor>> {
    return this.#cursors.snapshot();
  }

  stats(): ClientStats {
    return { delivered: this.#delivered, duplicates: this.#duplicates, reconnects: Math.max(0, this.#opens - 1) };
  }

  close(): void {
    if (this.#state === 'closed') return;
    clearTimeout(this.#reconnectTimer);
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection !== undefined) {
      this.#stopTimers(connection);
      safeClose(connection.ws, 1000, 'client closed');
    }
    this.#setState('closed', {});
  }

  // --- connection lifecycle -----------------------------------------------------------------------

  #connect(): void {
    this.#reconnectTimer = undefined;
    const token = this.#tokenForAttempt();
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
      ws = new this.#WebSocket(this.#url, [SUBPROTOCOL]);
    } catch (err) {
      // A malformed URL or a blocked port: the same call will throw again.
      this.#report('connect_failed', `cannot open a WebSocket to ${redactToken(this.#url)}`, { cause: err });
      this.#setState('closed', {});
      return;
    }
    const connection: Connection = {
      ws,
      token,
      welcome: undefined,
      authenticated: false,
      ready: false,
      connectTimer: undefined,
      pingTimer: undefined,
      pongTimer: undefined,
    };
    this.#connection = connection;
    if (this.#connectTimeoutMs > 0) {
      connection.connectTimer = setTimeout(
        () => this.#abandon(connection, 'connect_timeout', `no welcome within ${this.#connectTimeoutMs} ms`),
        this.#connectTimeoutMs,
      );
    }
    ws.addEventListener('open', () => {
      if (this.#connection !== connection) return;
      // Browsers cannot set an Authorization header on a WebSocket, so credentials go in the first frame.
      if (connection.token !== undefined) this.#send(connection, { type: 'auth', id: this.#nextId('a'), token: connection.token });
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

  /** The token for a new attempt: a refreshed one if we have it, else `getToken()`, else the static one. */
  #tokenForAttempt(): string | undefined | typeof FAILED | Promise<string | undefined | typeof FAILED> {
    if (this.#nextToken !== undefined) {
      const token = this.#nextToken;
      this.#nextToken = undefined;
      return token;
    }
    if (this.#getToken === undefined) return this.#staticToken;
    const onError = (err: unknown): typeof FAILED => {
      this.#report('get_token_failed', 'getToken() failed', { cause: err });
      return FAILED;
    };
    try {
      const result = this.#getToken();
      return isPromiseLike(result) ? Promise.resolve(result).then((t) => t ?? this.#staticToken, onError) : (result ?? this.#staticToken);
    } catch (err) {
      return onError(err);
    }
  }

  // A method rather than a field read, so TypeScript does not carry a narrowing across an `await`.
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #maybeReady(connection: Connection): void {
    if (connection.ready || connection.welcome === undefined) return;
    // A principal in `welcome` means the connection is already authorized (header credentials, or a
    // gateway with auth disabled); otherwise our `auth` frame must be answered first.
    const authorized = connection.token === undefined || connection.authenticated || connection.welcome.principal !== null;
    if (!authorized) return;
    connection.ready = true;
    clearTimeout(connection.connectTimer);
    this.#backoff.reset();
    this.#opens += 1;
    // Resubscribe before announcing `open`, so a state listener that subscribes is not sent twice.
    for (const subscription of this.#subscriptions.all()) this.#sendSubscribe(connection, subscription);
    this.#startPing(connection);
    this.#setState('open', {});
  }

  async #onClose(connection: Connection, code: number, reason: string): Promise<void> {
    this.#detach(connection);
    if (this.#state === 'closed') return;
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
        const token = await this.#refreshedToken(connection.token);
        if (this.#isClosed()) return; // close() was called while getToken() ran
        if (token !== undefined) {
          this.#nextToken = token;
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

  /** Asks `getToken()` for a token different from the refused one; `undefined` when there is none. */
  async #refreshedToken(refused: string | undefined): Promise<string | undefined> {
    if (this.#getToken === undefined) return undefined;
    try {
      const token = await this.#getToken();
      return token !== undefined && token !== refused ? token : undefined;
    } catch (err) {
      this.#report('get_token_failed', 'getToken() failed', { cause: err });
      return undefined;
    }
  }

  #fail(code: number, reason: string, why: string): void {
    this.#report('closed', `connection closed with ${code}${reason === '' ? '' : ` (${reason})`}; ${why}`, { closeCode: code });
    this.#setState('closed', { closeCode: code, reason });
  }

  /** Gives up on a connection that is not answering, without waiting for a close handshake that may never come. */
  #abandon(connection: Connection, code: ClientErrorCode, message: string): void {
    if (this.#connection !== connection) return;
    this.#report(code, message);
    // Best effort: on a dead path the close frame never arrives, which is why we do not wait for it.
    safeClose(connection.ws, 1000, code);
    void this.#onClose(connection, ABNORMAL_CLOSURE, code);
  }

  #detach(connection: Connection): void {
    this.#stopTimers(connection);
    if (this.#connection === connection) this.#connection = undefined;
    this.#subscriptions.markAllPending();
    this.#requests.clear();
  }

  #scheduleReconnect(delayMs: number, info: { closeCode?: number; reason?: string }): void {
    this.#setState('reconnecting', { ...info, delayMs, attempt: this.#backoff.attempt });
    this.#reconnectTimer = setTimeout(() => this.#connect(), delayMs);
  }

  #startPing(connection: Connection): void {
    if (this.#pingIntervalMs === 0) return;
    connection.pingTimer = setInterval(() => {
      if (connection.pongTimer !== undefined) return; // still waiting for the previous answer
      this.#send(connection, { type: 'ping', id: this.#nextId('p') });
      if (this.#pongTimeoutMs > 0) {
        connection.pongTimer = setTimeout(
          () => this.#abandon(connection, 'pong_timeout', `no frame within ${this.#pongTimeoutMs} ms of a ping`),
          this.#pongTimeoutMs,
        );
      }
    }, this.#pingIntervalMs);
  }

  #stopTimers(connection: Connection): void {
    clearTimeout(connection.connectTimer);
    clearInterval(connection.pingTimer);
    clearTimeout(connection.pongTimer);
    connection.pongTimer = undefined;
  }

  // --- inbound ------------------------------------------------------------------------------------

  #onFrame(connection: Connection, data: unknown): void {
    // Any frame proves the connection alive, not only the `pong`: behind a burst of events the pong
    // may come late, and the events themselves already show the path works.
    if (connection.pongTimer !== undefined) {
      clearTimeout(connection.pongTimer);
      connection.pongTimer = undefined;
    }
    const frame = classifyFrame(data);
    switch (frame.kind) {
      case 'event':
        this.#onEvent(frame.event);
        return;
      case 'control':
        this.#onControl(connection, frame.message);
        return;
      case 'invalid':
        this.#report('invalid_frame', frame.reason, { details: { frame: typeof data === 'string' ? data.slice(0, 256) : typeof data } });
        return;
    }
  }

  #onControl(connection: Connection, message: ServerControlMessage): void {
    switch (message.type) {
      case 'welcome':
        connection.welcome = message;
        this.#emit('welcome', message);
        this.#maybeReady(connection);
        return;
      case 'authenticated':
        connection.authenticated = true;
        this.#emit('authenticated', message);
        this.#maybeReady(connection);
        return;
      case 'subscribed': {
        const subscription = this.#subscriptions.get(message.channel);
        if (message.id !== undefined) this.#requests.delete(message.id);
        if (subscription === undefined) return; // unsubscribed while the request was in flight
        const since = subscription.sentSince;
        subscription.live = true;
        const { gap } = this.#cursors.subscribed(message, since);
        this.#emit('subscribed', message);
        if (gap) {
          this.#emit('gap', { channel: message.channel, reason: 'not_recovered', ...(since && { since }), epoch: message.epoch, seq: message.seq });
        }
        return;
      }
      case 'unsubscribed':
      case 'pong':
        return;
      case 'error': {
        const channel = message.id === undefined ? undefined : this.#requests.get(message.id);
        if (message.id !== undefined) this.#requests.delete(message.id);
        this.#emitError(
          new NsClientError('server', message.code, message.message, { channel, requestId: message.id, details: message.details }),
        );
        return;
      }
      case 'auth_expiring':
        void this.#refreshBeforeExpiry(connection);
        return;
    }
  }

  #onEvent(event: EventEnvelope): void {
    const subscription = this.#subscriptions.get(event.channel);
    // Events before `subscribed` belong to an earlier subscription of this channel: the replay that
    // follows `subscribed` covers them.
    if (subscription === undefined || !subscription.live) return;
    const acceptance = this.#cursors.accept(event);
    if (acceptance === 'duplicate') {
      this.#duplicates += 1;
      return;
    }
    if (acceptance === 'new_epoch') {
      this.#emit('gap', { channel: event.channel, reason: 'epoch_changed', epoch: event.epoch, seq: event.seq });
    }
    this.#deliver(subscription, event);
  }

  #deliver(subscription: Subscription, event: EventEnvelope): void {
    this.#delivered += 1;
    for (const registration of [...subscription.handlers]) {
      if (!subscription.handlers.has(registration)) continue;
      try {
        registration.fn(event);
      } catch (err) {
        this.#report('handler_failed', `a subscribe('${subscription.channel}') handler threw`, { channel: subscription.channel, cause: err }, true);
      }
    }
  }

  async #refreshBeforeExpiry(connection: Connection): Promise<void> {
    if (this.#getToken === undefined) return; // nothing to refresh with; the gateway will close with 4001
    let token: string | undefined;
    try {
      token = await this.#getToken();
    } catch (err) {
      this.#report('get_token_failed', 'getToken() failed while refreshing an expiring token', { cause: err });
      return;
    }
    if (this.#connection !== connection) return;
    if (token === undefined || token === connection.token) {
      this.#report('get_token_failed', 'getToken() gave no new token before the current one expires');
      return;
    }
    connection.token = token;
    this.#send(connection, { type: 'auth', id: this.#nextId('a'), token });
  }

  // --- outbound -----------------------------------------------------------------------------------

  #sendSubscribe(connection: Connection, subscription: Subscription): void {
    const since = this.#cursors.get(subscription.channel);
    const id = this.#nextId('s');
    subscription.sentSince = since;
    subscription.live = false;
    this.#requests.set(id, subscription.channel);
    const message: Record<string, unknown> = { type: 'subscribe', id, channel: subscription.channel };
    if (subscription.filter !== undefined) message.filter = subscription.filter;
    if (since !== undefined) message.since = since;
    this.#send(connection, message as ClientMessage);
  }

  #send(connection: Connection, message: ClientMessage): void {
    if (connection.ws.readyState !== WS_OPEN) return; // the close handler resends what matters
    connection.ws.send(JSON.stringify(message));
  }

  #nextId(prefix: string): string {
    this.#requestCounter += 1;
    return `${prefix}${this.#requestCounter}`;
  }

  // --- events -------------------------------------------------------------------------------------

  #setState(state: ClientState, info: Omit<StateChange, 'state' | 'previous'>): void {
    const previous = this.#state;
    if (state === previous && state !== 'reconnecting') return;
    this.#state = state;
    this.#emit('state', { state, previous, ...info });
  }

  #emit<K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]): void {
    this.#events.emit(event, payload);
  }

  #emitError(error: NsClientError, surfaceIfUnheard = false): void {
    if (this.#events.listenerCount('error') === 0) {
      // Errors from the app's own code must not vanish; protocol noise without a listener may.
      if (surfaceIfUnheard) reportUncaught(error);
      return;
    }
    this.#events.emit('error', error);
  }

  #report(
    code: ClientErrorCode,
    message: string,
    options: ConstructorParameters<typeof NsClientError>[3] = {},
    surfaceIfUnheard = code === 'listener_failed',
  ): void {
    this.#emitError(new NsClientError('client', code, message, options), surfaceIfUnheard);
  }
}

const FAILED = Symbol('token failed');

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

const CREDENTIAL_PARAM = /token|key|secret|passw|auth|jwt|sig|credential|session/;

/**
 * The URL with credentials blanked, for messages that may end up in logs. The query is parsed as the
 * gateway parses it, so an encoded name (`?%74oken=`) is caught as well as `?token=`; an unparsable
 * URL loses its whole query.
 */
function redactToken(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const q = url.indexOf('?');
    return q === -1 ? url : `${url.slice(0, q)}?[redacted]`;
  }
  const userinfo = parsed.username !== '' || parsed.password !== '' ? '[redacted]@' : '';
  const query: string[] = [];
  parsed.searchParams.forEach((value, name) => {
    const shown = CREDENTIAL_PARAM.test(name.toLowerCase().replace(/[^a-z0-9]/g, '')) ? '[redacted]' : encodeURIComponent(value).replace(/%2C/gi, ',');
    query.push(`${encodeURIComponent(name)}=${shown}`);
  });
  return `${parsed.protocol}//${userinfo}${parsed.host}${parsed.pathname}${query.length === 0 ? '' : `?${query.join('&')}`}`;
}

// setTimeout's limit: a longer delay overflows and fires after 1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0 && value <= MAX_TIMER_MS)) throw new RangeError(`${name} must be a number from 0 to ${MAX_TIMER_MS} (ms), got ${value}`);
  return value;
}

function safeClose(ws: WebSocketLike, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closing, or a socket that never opened: nothing left to close.
  }
}

/** Hands an error from the app's own listener to the platform, as `EventTarget` does (window.onerror, uncaughtException). */
function reportUncaught(err: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof report === 'function') report(err);
  else
    queueMicrotask(() => {
      throw err;
    });
}

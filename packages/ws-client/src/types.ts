import type { AuthenticatedMessage, ChannelEvent, ChannelName, FilterOf, SinceCursor, SubscribedMessage, WelcomeMessage } from '@ns/contracts';
import type { BackoffOptions } from './backoff.js';
import type { NsClientError } from './client-error.js';
import type { TransportName, TransportOption } from './transport.js';
import type { WebSocketConstructor } from './websocket-like.js';

/**
 * Connection state: `connecting` (first attempt), `open` (welcomed, authenticated, subscriptions sent),
 * `reconnecting` (waiting for or making another attempt), `closed` (by `close()`, or a close code that a
 * retry cannot fix).
 */
export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Payload of `on('state')`: emitted on every transition and on every scheduled retry. */
export interface StateChange {
  readonly state: ClientState;
  readonly previous: ClientState;
  /** Close code of the connection that just ended (1006 when it died without a close frame). */
  readonly closeCode?: number;
  readonly reason?: string;
  /** For `reconnecting`: how long until the next attempt (0 = immediate). */
  readonly delayMs?: number;
  /** For `reconnecting`: failed attempts in a row so far (0 after an open connection was lost). */
  readonly attempt?: number;
  /** The transport in use (or the next attempt's): `websocket`, or `sse` after an `auto` fallback. */
  readonly transport?: TransportName;
}

/** Payload of `on('gap')`: events may have been missed on `channel`; reload its state (e.g. from history). */
export interface GapEvent {
  readonly channel: ChannelName;
  /**
   * `not_recovered`: a resume with `since` was answered `recovered: false` (history no longer reaches back);
   * `epoch_changed`: the channel's history restarted under a new epoch while subscribed.
   */
  readonly reason: 'not_recovered' | 'epoch_changed';
  /** The cursor the client tried to resume from. */
  readonly since?: SinceCursor;
  /** The channel's position now: events after it will arrive. */
  readonly epoch: string;
  readonly seq: number;
}

/** Events of `client.on()`. */
export interface ClientEvents {
  state: StateChange;
  gap: GapEvent;
  error: NsClientError;
  welcome: WelcomeMessage;
  authenticated: AuthenticatedMessage;
  /** The gateway confirmed a (re)subscription; its `replayed` events follow, then live ones. */
  subscribed: SubscribedMessage;
}

/** Options of `client.subscribe()`. */
export interface SubscribeOptions<C extends ChannelName> {
  /** Server-side filter, typed per channel (docs/protocol.md#filters). */
  filter?: FilterOf<C>;
  /** Resume after this cursor (e.g. one persisted from `client.cursors()` before a page reload). */
  since?: SinceCursor;
}

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** `ws://host:port/ws` or `wss://…`. */
  url: string;
  /** WebSocket implementation; default `globalThis.WebSocket` (browsers, Node ≥ 22). In Node 20 pass `ws`'s `WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /**
   * `websocket` (default); `sse`: the gateway's Server-Sent Events stream (`GET /v1/stream`), for networks
   * that break WebSocket upgrades; `auto`: WebSocket, carrying on over SSE once the handshake failed
   * twice in a row (`state` events and `client.transport` say which is in use). Same API and events.
   */
  transport?: TransportOption;
  /** A static JWT, sent as the first frame (`auth`), since browsers cannot set headers on a WebSocket. */
  token?: string;
  /**
   * Returns the current JWT; called before every connection attempt, on `auth_expiring`, and after the
   * gateway refused the credentials (4001/4003): only a token different from the refused one makes the
   * client retry. Overrides `token`.
   */
  getToken?: () => Promise<string | undefined> | string | undefined;
  /** Reconnect backoff; default `{ minMs: 500, maxMs: 30000, factor: 2 }`, full jitter. */
  backoff?: Partial<BackoffOptions>;
  /** Interval of the app-level `ping`, in ms; default 20 000; 0 disables. */
  pingIntervalMs?: number;
  /** A connection with no inbound frame this long after a `ping` is dead, in ms; default 10 000. */
  pongTimeoutMs?: number;
  /** Longest wait from creating the socket to `welcome` (and `authenticated`), in ms; default 15 000. */
  connectTimeoutMs?: number;
  /** Source of randomness for the jitter, `[0, 1)`; default `Math.random` (tests pass their own). */
  random?: () => number;
}

/** Counters for dashboards and tests. */
export interface ClientStats {
  /** Events handed to handlers. */
  readonly delivered: number;
  /** Events dropped as already seen (seq at or below the cursor in the same epoch). */
  readonly duplicates: number;
  /** Connections that reached `open` after the first one. */
  readonly reconnects: number;
}

/** A typed, reconnecting gateway client. */
export interface NsClient {
  /** The current connection state. */
  readonly state: ClientState;
  /** The transport in use: `websocket`, or `sse` (chosen, or after an `auto` fallback). */
  readonly transport: TransportName;
  /**
   * Subscribes to a channel; `event` is narrowed by channel and `filter` typed for it. The subscription
   * survives reconnects (resumed with `since`). Returns the unsubscribe function. After `close()` it
   * does nothing.
   */
  subscribe<C extends ChannelName>(channel: C, options: SubscribeOptions<C>, handler: (event: ChannelEvent<C>) => void): () => void;
  subscribe<C extends ChannelName>(channel: C, handler: (event: ChannelEvent<C>) => void): () => void;
  /** Listens to client events; returns the function that removes the listener. */
  on<K extends keyof ClientEvents>(event: K, listener: (payload: ClientEvents[K]) => void): () => void;
  /** The last delivered `{epoch, seq}` of a channel (what a resume would send as `since`). */
  cursor(channel: ChannelName): SinceCursor | undefined;
  /** Every channel's cursor, e.g. to persist and pass back as `since` after a page reload. */
  cursors(): Partial<Record<ChannelName, SinceCursor>>;
  stats(): ClientStats;
  /** Closes the connection (1000) and stops reconnecting. Idempotent. */
  close(): void;
}

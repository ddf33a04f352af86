import {
  CLOSE_CODES,
  NsError,
  UNRESTRICTED_PRINCIPAL,
  parseClientMessage,
  readDenial,
  toNsError,
  type AuthMessage,
  type ClientMessage,
  type Principal,
} from '@ns/contracts';
import type { Connection, QueuedSink } from '@ns/ws-manager';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { Authentication, Authenticator } from './authenticator.js';
import { claimedIdentity, type SessionAuditEntry } from './session-audit.js';
import { subscribeListed } from './auto-subscribe.js';
import { filterForDebug, summarizeFilter } from './log-fields.js';
import { welcomeMessage, type SessionContext } from './session-context.js';
import { byteLengthOf, MAX_INVALID_STREAK, MAX_PENDING_MESSAGES } from './inbound-limits.js';
import { TokenBucket } from './rate-limits.js';
import { TokenExpiry } from './token-expiry.js';

// The session a `ws` socket belongs to, for the listeners shared by every session.
const kSession = Symbol('ns.session');
type SessionSocket = WebSocket & { [kSession]: ClientSession };
const sessionOf = (ws: WebSocket): ClientSession => (ws as SessionSocket)[kSession];

/**
 * One client's protocol session on top of its {@link Connection}: authentication (upgrade credential,
 * first-message `auth`, refresh before expiry), the auth timeout, parsing every inbound frame, the
 * inbound rate limit and abuse limits, and routing to the manager. Messages are handled one at a time,
 * in arrival order; nothing a client sends can throw out of here.
 */
export class ClientSession {
  readonly connection: Connection;
  readonly #ctx: SessionContext;
  /** The tail of the message queue while a message is being handled; none when idle. */
  #chain: Promise<void> | undefined;
  #authenticated = false;
  #authTimer: NodeJS.Timeout | undefined;
  /** Made at the first token with an expiry: many sessions (auth disabled, anonymous) never need one. */
  #expiry: TokenExpiry | undefined;
  /** Unregisters the revocation watch of the credential held now (`Authentication.watch`). */
  #unwatch: (() => void) | undefined;
  /** The `jti` of the credential held now, for audit lines. */
  #tokenId: string | null = null;
  #invalidStreak = 0;
  #rateLimitedStreak = 0;
  #autoSubscribe: string[] | undefined;
  readonly #messageBucket: TokenBucket;
  #pendingMessages = 0;
  #pendingBytes = 0;
  #readingPaused = false;

  constructor(connection: Connection, ctx: SessionContext) {
    this.connection = connection;
    this.#ctx = ctx;
    this.#messageBucket = new TokenBucket(ctx.clientMessageRate);
    // Shared listeners that find this session on the socket: closures would cost each idle connection.
    (connection.ws as SessionSocket)[kSession] = this;
    connection.ws.on('message', ClientSession.#onWsMessage);
    connection.onClose(ClientSession.#onConnectionClosed);
  }

  static readonly #onWsMessage = function (this: WebSocket, data: RawData, isBinary: boolean): void {
    sessionOf(this).#onMessage(data, isBinary);
  };

  static readonly #onConnectionClosed = function (this: QueuedSink, code: number, reason: string): void {
    sessionOf((this as Connection).ws).#onClosed(code, reason);
  };

  /**
   * A child logger made when a line is written rather than kept: a session logs a handful of lines in
   * its life, and a kept pino child costs each idle connection ~420 bytes (measured, heap snapshots).
   * The lines every connection writes (auth result, subscribe) check the level first: a child made for
   * a disabled level is pure garbage in the handshake, most of it promoted while the burst lasts.
   */
  get #log(): Logger {
    return this.#ctx.logger.child({ connection_id: this.connection.id, ip: this.connection.remoteAddress });
  }

  #onClosed(code: number, reason: string): void {
    this.#clearTimers();
    const c = this.connection;
    this.#ctx.onClosed(c);
    if (this.#ctx.logger.isLevelEnabled('info')) this.#log.info({ code, reason, duration_ms: Date.now() - c.openedAt, principal: c.principal?.id ?? null }, 'connection closed');
  }

  /**
   * Starts the session: verifies the upgrade credential (if any), sends `welcome`, and either opens the
   * connection or waits for an `auth` message within the auth timeout. `subscribe` lists the channels of
   * `?subscribe=`, subscribed as soon as the connection may read them: duplicates are dropped, unknown
   * names are refused in one `error`, and each channel costs one message of the connection's rate limit.
   */
  start(credential: string | undefined, subscribe: string[]): void {
    if (subscribe.length > 0) this.#autoSubscribe = subscribe;
    this.#enqueue(async () => {
      const { authenticator, allowAnonymous } = this.#ctx;
      if (authenticator === null) {
        this.#welcome(UNRESTRICTED_PRINCIPAL);
        if (this.#becomeAuthenticated({ principal: UNRESTRICTED_PRINCIPAL, expiresAt: null })) await this.#runAutoSubscribe();
      } else if (credential !== undefined) {
        // The auth timeout also bounds a verification that hangs (e.g. a key server that never answers).
        this.#authTimer = setTimeout(() => this.#authTimeout(), this.#ctx.authTimeoutMs);
        const ok = await this.#verify(credential, undefined, 'connect');
        if (ok === undefined) return;
        this.#welcome(ok.principal);
        if (this.#becomeAuthenticated(ok)) await this.#runAutoSubscribe();
      } else if (allowAnonymous) {
        this.#welcome(null);
        this.connection.open();
        this.#log.info({ auth: 'anonymous' }, 'auth result');
        await this.#runAutoSubscribe();
      } else {
        this.#welcome(null);
        this.#authTimer = setTimeout(() => this.#authTimeout(), this.#ctx.authTimeoutMs);
      }
    });
  }

  #welcome(principal: Principal | null): void {
    this.connection.send(welcomeMessage(this.connection.id, this.#ctx, principal));
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.connection.state === 'closing' || this.connection.state === 'closed') return;
    // The rate limit is decided on arrival: a refused message is answered and dropped here, and never
    // waits in the queue (holding its bytes) behind a slow one.
    const waitMs = this.#messageBucket.take();
    if (waitMs > 0) {
      this.#rateLimited(waitMs);
      return;
    }
    this.#rateLimitedStreak = 0;
    const bytes = byteLengthOf(data);
    this.#pendingMessages++;
    this.#pendingBytes += bytes;
    if (!this.#readingPaused && (this.#pendingMessages > MAX_PENDING_MESSAGES || this.#pendingBytes > this.#ctx.maxPendingBytes)) {
      this.#readingPaused = true;
      this.connection.ws.pause();
      this.#log.debug({ pending_messages: this.#pendingMessages, pending_bytes: this.#pendingBytes }, 'inbound backlog full; reading paused');
    }
    this.#enqueue(async () => {
      try {
        await this.#handleMessage(data, isBinary);
      } finally {
        this.#pendingMessages--;
        this.#pendingBytes -= bytes;
        if (this.#readingPaused && this.#pendingMessages <= MAX_PENDING_MESSAGES / 2 && this.#pendingBytes <= this.#ctx.maxPendingBytes / 2) {
          this.#readingPaused = false;
          this.connection.ws.resume();
        }
      }
    });
  }

  async #handleMessage(data: RawData, isBinary: boolean): Promise<void> {
    if (this.connection.state === 'closing' || this.connection.state === 'closed') return;
    if (isBinary) {
      this.#invalid(new NsError('invalid_message', 'binary frames are not supported; send JSON text frames'), undefined);
      return;
    }
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    const parsed = parseClientMessage(text);
    if (!parsed.success) {
      this.#invalid(parsed.error, parsed.id);
      return;
    }
    this.#invalidStreak = 0;
    await this.#route(parsed.data);
  }

  async #route(message: ClientMessage): Promise<void> {
    if (message.type === 'auth') {
      await this.#auth(message);
      return;
    }
    if (message.type === 'subscribe') {
      // The filter is the client's (up to 256 values × 256 chars a list): its size at info, the filter
      // itself, clipped, at debug only.
      const filter = message.filter as Record<string, unknown> | undefined;
      const logger = this.#ctx.logger;
      if (logger.isLevelEnabled('info')) this.#log.info({ channel: message.channel, filter: summarizeFilter(filter), since: message.since }, 'subscribe');
      if (filter !== undefined && logger.isLevelEnabled('debug')) this.#log.debug({ channel: message.channel, filter: filterForDebug(filter) }, 'subscribe filter');
      // The manager refuses it with this rule too; the audit line is written here, where the session is known.
      const denied = readDenial(this.connection.principal, message.channel);
      if (denied !== null) this.#audit('permission_denied', 'subscribe', denied.message, undefined, message.channel);
    }
    await this.#ctx.manager.handle(this.connection, message);
  }

  async #auth(message: AuthMessage): Promise<void> {
    const id = message.id;
    if (this.#ctx.authenticator === null) {
      this.connection.send({ type: 'authenticated', ...(id === undefined ? {} : { id }), principal: UNRESTRICTED_PRINCIPAL, expires_at: null });
      return;
    }
    const ok = await this.#verify(message.token, id, this.#authenticated ? 'refresh' : 'auth');
    if (ok === undefined) return;
    const current = this.connection.principal;
    if (this.#authenticated && current !== null && current.id !== ok.principal.id) {
      // A refresh must not turn one user's connection into another's.
      this.#log.warn({ principal: current.id, presented: ok.principal.id }, 'token refresh for a different principal');
      this.#audit('permission_denied', 'refresh', `token refresh for another principal (${ok.principal.id.slice(0, 64)})`);
      this.#error('forbidden', 'a token refresh must be for the same principal', id);
      this.connection.close(CLOSE_CODES.FORBIDDEN, 'forbidden: principal changed');
      return;
    }
    this.connection.send({ type: 'authenticated', ...(id === undefined ? {} : { id }), principal: ok.principal, expires_at: ok.expiresAt });
    if (this.#becomeAuthenticated(ok)) await this.#runAutoSubscribe();
  }

  /** Verifies a credential; on failure replies `error`, and closes with 4001 unless a valid session continues. */
  async #verify(token: string, id: string | undefined, action: 'connect' | 'auth' | 'refresh'): Promise<Authentication | undefined> {
    try {
      const result = await (this.#ctx.authenticator as Authenticator).verify(token);
      if (result.expiresAt !== null && result.expiresAt * 1000 <= Date.now()) throw new NsError('token_expired', 'token has expired');
      return result;
    } catch (err) {
      const e = toNsError(err);
      // Only `unauthorized` and `token_expired` are the client's fault; anything else is our failure.
      const clientFault = e.code === 'token_expired' || e.code === 'unauthorized';
      const code = clientFault ? e.code : 'internal';
      if (clientFault) {
        this.#ctx.counters.authFailures++;
        this.#log.info({ auth: 'failed', code, reason: e.message }, 'auth result');
        this.#audit('auth_failed', action, e.message, { claimed: true, ...claimedIdentity(token) });
      } else {
        this.#log.error({ err }, 'authenticator failed');
      }
      if (this.connection.state === 'closing' || this.connection.state === 'closed') return undefined;
      this.#error(code, clientFault ? e.message : 'authentication is unavailable', id);
      // A failed refresh leaves the current (still valid) session alone; it ends at its own expiry.
      if (!this.#authenticated) this.connection.close(clientFault ? CLOSE_CODES.UNAUTHORIZED : CLOSE_CODES.INTERNAL, code);
      return undefined;
    }
  }

  #becomeAuthenticated({ principal, expiresAt, watch, tokenId }: Authentication): boolean {
    if (this.connection.state === 'closing' || this.connection.state === 'closed') return false;
    this.#tokenId = tokenId ?? null;
    this.#unwatch?.();
    this.#unwatch = watch?.(() => this.#end('unauthorized', 'token has been revoked; reconnect with a new token', 'token_revoked'));
    const first = !this.#authenticated;
    this.#authenticated = true;
    if (this.#authTimer !== undefined) clearTimeout(this.#authTimer);
    this.#authTimer = undefined;
    this.#ctx.manager.setPrincipal(this.connection, principal);
    this.connection.open();
    this.#scheduleExpiry(expiresAt);
    if (this.#ctx.logger.isLevelEnabled('info')) this.#log.info({ auth: first ? 'ok' : 'refreshed', principal: principal.id, expires_at: expiresAt }, 'auth result');
    return first;
  }

  async #runAutoSubscribe(): Promise<void> {
    const names = this.#autoSubscribe;
    this.#autoSubscribe = undefined;
    if (names === undefined) return;
    const error = (code: NsError['code'], message: string, details?: Record<string, unknown>) => this.#error(code, message, undefined, details);
    await subscribeListed(names, { connection: this.connection, ctx: this.#ctx, bucket: this.#messageBucket, log: this.#log, error });
  }

  #scheduleExpiry(expiresAt: number | null): void {
    if (expiresAt !== null) this.#expiry ??= new TokenExpiry(this.connection, this.#ctx.expiryNoticeS, (at) => this.#expired(at));
    this.#expiry?.schedule(expiresAt);
  }

  #expired(expiresAt: number): void {
    this.#log.info({ expires_at: expiresAt }, 'token expired');
    this.#end('token_expired', 'token has expired; reconnect with a new token', 'token_expired');
  }

  /** Ends the session for its credential: `error`, then close 4001 with `reason`. */
  #end(code: 'token_expired' | 'unauthorized', message: string, reason: string): void {
    if (this.connection.state === 'closing' || this.connection.state === 'closed') return;
    if (code === 'unauthorized') this.#audit('revoked', 'close', message);
    this.#error(code, message);
    this.connection.close(CLOSE_CODES.UNAUTHORIZED, reason);
  }

  #authTimeout(): void {
    this.#authTimer = undefined;
    if (this.#authenticated) return;
    this.#ctx.counters.authFailures++;
    this.#log.info({ auth: 'timeout' }, 'auth result');
    this.#audit('auth_failed', 'auth timeout', 'no auth message within the auth timeout');
    this.#error('unauthorized', 'no auth message within the auth timeout');
    this.connection.close(CLOSE_CODES.UNAUTHORIZED, 'auth timeout');
  }

  #rateLimited(retryAfterMs: number): void {
    this.#ctx.counters.rateLimitedMessages++;
    this.#rateLimitedStreak++;
    if (this.#rateLimitedStreak >= this.#ctx.maxRateLimitedStreak) {
      this.#log.warn({ streak: this.#rateLimitedStreak }, 'closing a connection that keeps exceeding its message rate');
      this.#error('rate_limited', 'message rate exceeded repeatedly; closing');
      this.connection.close(CLOSE_CODES.RATE_LIMITED, 'rate limited');
      return;
    }
    this.#error('rate_limited', `more than ${this.#ctx.clientMessageRate} messages per second`, undefined, { retry_after_ms: retryAfterMs });
  }

  #invalid(error: NsError, id: string | undefined): void {
    this.#invalidStreak++;
    const details = error.issues === undefined ? undefined : { issues: error.issues.slice(0, 10) };
    this.#error(error.code, error.message, id, details);
    if (this.#invalidStreak >= MAX_INVALID_STREAK) {
      this.#log.warn({ streak: this.#invalidStreak }, 'closing a connection that keeps sending invalid frames');
      this.connection.close(CLOSE_CODES.PROTOCOL_ABUSE, 'too many invalid messages');
    }
  }

  #audit(event: SessionAuditEntry['event'], action: string, reason: string, who?: { sub: string | null; jti: string | null; claimed: boolean }, channel?: string): void {
    const c = this.connection;
    const { sub, jti, claimed } = who ?? { sub: c.principal?.id ?? null, jti: this.#tokenId, claimed: false };
    this.#ctx.audit?.({ event, action, sub, jti, claimed, ip: c.remoteAddress ?? null, connection_id: c.id, ...(channel === undefined ? {} : { channel }), reason });
  }

  #error(code: NsError['code'], message: string, id?: string, details?: Record<string, unknown>): void {
    this.#ctx.manager.replyError(this.connection, code, message, id, details);
  }

  /** Runs `task` after every earlier one; a failure becomes an `internal` error reply, never a crash. */
  #enqueue(task: () => Promise<void> | void): Promise<void> {
    const tail: Promise<void> = (this.#chain ?? Promise.resolve())
      .then(task)
      .catch((err: unknown) => {
        this.#log.error({ err }, 'message handling failed');
        try {
          this.#error('internal', 'internal error');
        } catch {
          // The connection is gone; nothing left to tell.
        }
      })
      .then(() => {
        // Idle again: no settled promise kept per connection.
        if (this.#chain === tail) this.#chain = undefined;
      });
    this.#chain = tail;
    return tail;
  }

  #clearTimers(): void {
    if (this.#authTimer !== undefined) clearTimeout(this.#authTimer);
    this.#authTimer = undefined;
    this.#expiry?.clear();
    this.#unwatch?.();
    this.#unwatch = undefined;
  }
}

import {
  CHANNEL_NAMES,
  CLOSE_CODES,
  NsError,
  PROTOCOL_VERSION,
  UNRESTRICTED_PRINCIPAL,
  isChannelName,
  parseClientMessage,
  toNsError,
  type AuthMessage,
  type ChannelName,
  type ClientMessage,
  type Principal,
} from '@ns/contracts';
import type { Connection, WsManager } from '@ns/ws-manager';
import type { Logger } from 'pino';
import type { RawData } from 'ws';
import type { Authenticator } from './authenticator.js';
import type { BurstLimiter } from './rate-limits.js';

/** Seconds before token expiry at which `auth_expiring` is sent. */
export const AUTH_EXPIRING_NOTICE_S = 30;
// Consecutive unparseable or binary frames tolerated before closing with 4000: enough for a buggy
// client to see its errors, few enough that a fuzzer gets nowhere.
const MAX_INVALID_STREAK = 10;
// setTimeout cannot wait longer than 2^31-1 ms; longer expiries are re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Endpoint-wide settings and counters a session uses. */
export interface SessionContext {
  manager: WsManager;
  authenticator: Authenticator | null;
  allowAnonymous: boolean;
  authTimeoutMs: number;
  heartbeatS: number;
  maxMessageBytes: number;
  messageLimiter: BurstLimiter;
  /** Consecutive rate-limited messages after which the connection is closed with 4002. */
  maxRateLimitedStreak: number;
  /** Seconds before expiry at which `auth_expiring` is sent. */
  expiryNoticeS: number;
  counters: { authFailures: number; rateLimitedMessages: number };
}

/**
 * One client's protocol session on top of its {@link Connection}: authentication (upgrade credential,
 * first-message `auth`, refresh before expiry), the auth timeout, parsing every inbound frame, the
 * inbound rate limit and abuse limits, and routing to the manager. Messages are handled one at a time,
 * in arrival order; nothing a client sends can throw out of here.
 */
export class ClientSession {
  readonly connection: Connection;
  readonly #ctx: SessionContext;
  readonly #log: Logger;
  #chain: Promise<void> = Promise.resolve();
  #authenticated = false;
  #expiresAt: number | null = null;
  #authTimer: NodeJS.Timeout | undefined;
  #noticeTimer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  #invalidStreak = 0;
  #rateLimitedStreak = 0;
  #autoSubscribe: string[] = [];

  constructor(connection: Connection, ctx: SessionContext, log: Logger) {
    this.connection = connection;
    this.#ctx = ctx;
    this.#log = log;
    connection.ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    connection.onClose(() => this.#clearTimers());
  }

  /**
   * Starts the session: verifies the upgrade credential (if any), sends `welcome`, and either opens the
   * connection or waits for an `auth` message within the auth timeout. `subscribe` lists the channels of
   * `?subscribe=`, subscribed as soon as the connection may read them.
   */
  start(credential: string | undefined, subscribe: string[]): void {
    this.#autoSubscribe = subscribe;
    this.#enqueue(async () => {
      const { authenticator, allowAnonymous } = this.#ctx;
      if (authenticator === null) {
        this.#welcome(UNRESTRICTED_PRINCIPAL);
        if (this.#becomeAuthenticated(UNRESTRICTED_PRINCIPAL, null)) await this.#runAutoSubscribe();
      } else if (credential !== undefined) {
        // The auth timeout also bounds a verification that hangs (e.g. a key server that never answers).
        this.#authTimer = setTimeout(() => this.#authTimeout(), this.#ctx.authTimeoutMs);
        const ok = await this.#verify(credential, undefined);
        if (ok === undefined) return;
        this.#welcome(ok.principal);
        if (this.#becomeAuthenticated(ok.principal, ok.expiresAt)) await this.#runAutoSubscribe();
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
    this.connection.send({
      type: 'welcome',
      connection_id: this.connection.id,
      protocol: PROTOCOL_VERSION,
      server_time: Date.now() / 1000,
      heartbeat_s: this.#ctx.heartbeatS,
      max_message_bytes: this.#ctx.maxMessageBytes,
      channels: [...CHANNEL_NAMES],
      principal,
    });
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.connection.state === 'closing' || this.connection.state === 'closed') return;
    const decision = this.#ctx.messageLimiter.take(this.connection.id);
    this.#enqueue(async () => {
      const { allowed, retryAfterMs } = await decision;
      if (this.connection.state === 'closing' || this.connection.state === 'closed') return;
      if (!allowed) {
        this.#rateLimited(retryAfterMs);
        return;
      }
      this.#rateLimitedStreak = 0;
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
    });
  }

  async #route(message: ClientMessage): Promise<void> {
    if (message.type === 'auth') {
      await this.#auth(message);
      return;
    }
    if (message.type === 'subscribe') this.#log.info({ channel: message.channel, filter: message.filter, since: message.since }, 'subscribe');
    await this.#ctx.manager.handle(this.connection, message);
  }

  async #auth(message: AuthMessage): Promise<void> {
    const id = message.id;
    if (this.#ctx.authenticator === null) {
      this.connection.send({ type: 'authenticated', ...(id === undefined ? {} : { id }), principal: UNRESTRICTED_PRINCIPAL, expires_at: null });
      return;
    }
    const ok = await this.#verify(message.token, id);
    if (ok === undefined) return;
    const current = this.connection.principal;
    if (this.#authenticated && current !== null && current.id !== ok.principal.id) {
      // A refresh must not turn one user's connection into another's.
      this.#log.warn({ principal: current.id, presented: ok.principal.id }, 'token refresh for a different principal');
      this.#error('forbidden', 'a token refresh must be for the same principal', id);
      this.connection.close(CLOSE_CODES.FORBIDDEN, 'forbidden: principal changed');
      return;
    }
    this.connection.send({ type: 'authenticated', ...(id === undefined ? {} : { id }), principal: ok.principal, expires_at: ok.expiresAt });
    if (this.#becomeAuthenticated(ok.principal, ok.expiresAt)) await this.#runAutoSubscribe();
  }

  /** Verifies a credential; on failure replies `error`, and closes with 4001 unless a valid session continues. */
  async #verify(token: string, id: string | undefined): Promise<{ principal: Principal; expiresAt: number | null } | undefined> {
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

  #becomeAuthenticated(principal: Principal, expiresAt: number | null): boolean {
    if (this.connection.state === 'closing' || this.connection.state === 'closed') return false;
    const first = !this.#authenticated;
    this.#authenticated = true;
    if (this.#authTimer !== undefined) clearTimeout(this.#authTimer);
    this.#authTimer = undefined;
    this.#ctx.manager.setPrincipal(this.connection, principal);
    this.connection.open();
    this.#scheduleExpiry(expiresAt);
    this.#log.info({ auth: first ? 'ok' : 'refreshed', principal: principal.id, expires_at: expiresAt }, 'auth result');
    return first;
  }

  async #runAutoSubscribe(): Promise<void> {
    const channels = this.#autoSubscribe;
    this.#autoSubscribe = [];
    for (const name of channels) {
      if (!isChannelName(name)) {
        this.#error('unknown_channel', `unknown channel "${name.slice(0, 64)}" in ?subscribe=`, undefined, { channel: name.slice(0, 64) });
        continue;
      }
      const channel: ChannelName = name;
      this.#log.info({ channel, auto: true }, 'subscribe');
      await this.#ctx.manager.handle(this.connection, { type: 'subscribe', channel });
    }
  }

  #scheduleExpiry(expiresAt: number | null): void {
    this.#clearExpiryTimers();
    this.#expiresAt = expiresAt;
    if (expiresAt === null) return;
    const noticeInMs = (expiresAt - this.#ctx.expiryNoticeS) * 1000 - Date.now();
    const notice = () => {
      if (this.#expiresAt === expiresAt) this.connection.send({ type: 'auth_expiring', expires_at: expiresAt });
    };
    if (noticeInMs <= 0) notice();
    else this.#noticeTimer = setTimeout(notice, Math.min(noticeInMs, MAX_TIMER_MS));
    this.#armExpiry(expiresAt);
  }

  #armExpiry(expiresAt: number): void {
    const inMs = expiresAt * 1000 - Date.now();
    this.#expiryTimer = setTimeout(
      () => {
        if (expiresAt * 1000 > Date.now()) this.#armExpiry(expiresAt);
        else this.#expired();
      },
      Math.min(Math.max(0, inMs), MAX_TIMER_MS),
    );
  }

  #expired(): void {
    this.#log.info({ expires_at: this.#expiresAt }, 'token expired');
    this.#error('token_expired', 'token has expired; reconnect with a new token');
    this.connection.close(CLOSE_CODES.UNAUTHORIZED, 'token_expired');
  }

  #authTimeout(): void {
    this.#authTimer = undefined;
    if (this.#authenticated) return;
    this.#ctx.counters.authFailures++;
    this.#log.info({ auth: 'timeout' }, 'auth result');
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
    this.#error('rate_limited', `more than ${this.#ctx.messageLimiter.ratePerS} messages per second`, undefined, { retry_after_ms: retryAfterMs });
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

  #error(code: NsError['code'], message: string, id?: string, details?: Record<string, unknown>): void {
    this.#ctx.manager.replyError(this.connection, code, message, id, details);
  }

  /** Runs `task` after every earlier one; a failure becomes an `internal` error reply, never a crash. */
  #enqueue(task: () => Promise<void> | void): Promise<void> {
    this.#chain = this.#chain.then(task).catch((err: unknown) => {
      this.#log.error({ err }, 'message handling failed');
      try {
        this.#error('internal', 'internal error');
      } catch {
        // The connection is gone; nothing left to tell.
      }
    });
    return this.#chain;
  }

  #clearExpiryTimers(): void {
    if (this.#noticeTimer !== undefined) clearTimeout(this.#noticeTimer);
    if (this.#expiryTimer !== undefined) clearTimeout(this.#expiryTimer);
    this.#noticeTimer = undefined;
    this.#expiryTimer = undefined;
  }

  #clearTimers(): void {
    if (this.#authTimer !== undefined) clearTimeout(this.#authTimer);
    this.#authTimer = undefined;
    this.#clearExpiryTimers();
  }
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { MAX_STREAM_TICKETS, NsError, Principal, STREAM_TICKET_TTL_S } from '@ns/contracts';

/** The environment variable the NS_WORKERS primary hands its workers the shared ticket key in (internal). */
export const TICKET_KEY_ENV = 'NS_INTERNAL_STREAM_TICKET_KEY';

/** What a redeemed ticket stands for: the token that obtained it. */
export interface TicketGrant {
  principal: Principal;
  /** The token's expiry (Unix s), or `null`. */
  expiresAt: number | null;
  /** The token's `jti` and `iat`, what a revocation names it by. */
  tokenId?: string | undefined;
  issuedAt?: number | undefined;
}

/** Options of {@link StreamTickets}. */
export interface StreamTicketsOptions {
  /** HMAC key; default: `NS_INTERNAL_STREAM_TICKET_KEY` (set by the NS_WORKERS primary), else random per process. */
  key?: Buffer;
  ttlS?: number;
  /** Tickets issued per TTL window; past it `unavailable` (503) names the limit. */
  max?: number;
  now?: () => number;
}

const PREFIX = 'st1.';

/**
 * Stream tickets (`POST /v1/stream-tickets`): what an EventSource puts in its URL instead of a JWT.
 * A ticket is the principal and token expiry it stands for, a nonce and its own expiry (30 s), signed
 * with HMAC-SHA256 — so any worker of an NS_WORKERS cluster (which shares the key) can redeem it —
 * and single use: redeemed nonces are remembered until the ticket would have expired. Issuance is
 * capped per window, so neither the nonce memory nor the signing work is unbounded.
 */
export class StreamTickets {
  readonly ttlS: number;
  readonly max: number;
  readonly #key: Buffer;
  readonly #now: () => number;
  /** Issue times (ms) within the current window, oldest first. */
  #issued: number[] = [];
  /** Redeemed nonce → the ticket's expiry (ms). */
  readonly #redeemed = new Map<string, number>();

  constructor(options: StreamTicketsOptions = {}) {
    const shared = process.env[TICKET_KEY_ENV];
    this.#key = options.key ?? (shared !== undefined && shared !== '' ? Buffer.from(shared, 'base64url') : randomBytes(32));
    this.ttlS = options.ttlS ?? STREAM_TICKET_TTL_S;
    this.max = options.max ?? MAX_STREAM_TICKETS;
    this.#now = options.now ?? Date.now;
  }

  /** Issues a ticket for `grant`; throws `unavailable` past the issuance cap. */
  issue(grant: TicketGrant): { ticket: string; expires_at: number } {
    const now = this.#now();
    const windowMs = this.ttlS * 1000;
    while (this.#issued.length > 0 && (this.#issued[0] as number) <= now - windowMs) this.#issued.shift();
    if (this.#issued.length >= this.max) {
      throw new NsError('unavailable', `at most ${this.max} stream tickets per ${this.ttlS} s on this gateway; retry shortly`, { details: { limit: this.max } });
    }
    this.#issued.push(now);
    // A ticket that outlived its token would extend it.
    const expiresMs = Math.min(now + windowMs, grant.expiresAt === null ? Infinity : grant.expiresAt * 1000);
    const payload = Buffer.from(JSON.stringify({ p: grant.principal, x: grant.expiresAt, t: grant.tokenId, i: grant.issuedAt, e: expiresMs, n: randomBytes(12).toString('base64url') })).toString('base64url');
    return { ticket: `${PREFIX}${payload}.${this.#sign(payload)}`, expires_at: expiresMs / 1000 };
  }

  /** Redeems `ticket` once; throws `unauthorized` when it is forged, expired or used. */
  redeem(ticket: string): TicketGrant {
    const refused = (why: string) => new NsError('unauthorized', `stream ticket ${why}; get a new one from POST /v1/stream-tickets`);
    if (!ticket.startsWith(PREFIX)) throw refused('is malformed');
    const dot = ticket.lastIndexOf('.');
    const payload = ticket.slice(PREFIX.length, dot);
    const mac = Buffer.from(ticket.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.#sign(payload), 'base64url');
    if (dot <= PREFIX.length || mac.length !== expected.length || !timingSafeEqual(mac, expected)) throw refused('is not valid');
    let body: { p: unknown; x: number | null; t?: string; i?: number; e: number; n: string };
    try {
      body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof body;
    } catch {
      throw refused('is malformed');
    }
    const now = this.#now();
    if (!(body.e > now)) throw refused('has expired');
    this.#forgetExpired(now);
    if (this.#redeemed.has(body.n)) throw refused('was already used');
    const principal = Principal.safeParse(body.p);
    if (!principal.success) throw refused('is malformed');
    this.#redeemed.set(body.n, body.e);
    return { principal: principal.data, expiresAt: body.x, tokenId: body.t, issuedAt: body.i };
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }

  #forgetExpired(now: number): void {
    for (const [nonce, expires] of this.#redeemed) {
      if (expires > now) break; // insertion order ≈ expiry order (every ticket lives the same TTL or less)
      this.#redeemed.delete(nonce);
    }
  }
}

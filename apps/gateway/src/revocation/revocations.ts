import { NsError, Revocation, type Principal, type RevocationRequest } from '@ns/contracts';
import { DEFAULT_CLOCK_TOLERANCE_S } from '@ns/ws-server';
import type { Logger } from 'pino';
import type { ControlPlane, RevokeNotice } from '../control/index.js';
import { revocationId, RevocationSet, type TokenFacts } from './revocation-set.js';

/** The control-store collection holding revocations. */
export const REVOCATIONS = 'revocations';
const SWEEP_MS = 60_000;
const RELOAD_RETRY_MS = 1_000;

/** Options of {@link Revocations}. */
export interface RevocationsOptions {
  control: ControlPlane;
  /** `NS_JWT_MAX_LIFETIME_S`: how long a user revocation is kept past its `issued_before`. */
  maxLifetimeS: number;
  /** `NS_MAX_REVOCATIONS`. */
  max: number;
  logger: Logger;
}

interface Watch extends TokenFacts {
  readonly onRevoked: () => void;
}

/**
 * Token revocation across every instance sharing the engine (docs/protocol.md#revocation). Records
 * live in the control store with the expiry of the tokens they cover; each instance keeps a
 * {@link RevocationSet} loaded at start, updated by `revoke` notices and reloaded after a missed
 * notice (resync). {@link check} is the one place a verified token is tested; {@link watch} ties a
 * live connection to its token, so a revocation closes it wherever it is.
 */
export class Revocations {
  readonly #o: RevocationsOptions;
  readonly #set: RevocationSet;
  readonly #watches = new Set<Watch>();
  readonly #stop: (() => void)[] = [];
  readonly #sweeper: NodeJS.Timeout;
  #reloadTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(o: RevocationsOptions) {
    this.#o = o;
    this.#set = new RevocationSet(o.max);
    this.#stop.push(
      o.control.onNotice('revoke', (n) => this.#apply(n)),
      o.control.onResync(() => void this.load()),
    );
    this.#sweeper = setInterval(() => this.#set.sweep(), SWEEP_MS).unref();
  }

  /** Active revocations held locally (for metrics and the bench). */
  get size(): number {
    return this.#set.size;
  }

  /**
   * Loads the active revocations from the store and closes live connections they cover. On failure
   * (Redis down at start) it retries every second until it succeeds: until then only notices apply.
   */
  async load(): Promise<void> {
    clearTimeout(this.#reloadTimer);
    try {
      const records = await this.#o.control.list(REVOCATIONS);
      const parsed = records.flatMap((r) => {
        const v = Revocation.safeParse(safeJson(r.value));
        return v.success ? [v.data] : [];
      });
      this.#set.replace(parsed);
      this.#closeCovered();
      this.#o.logger.info({ revocations: parsed.length }, 'revocations loaded');
    } catch (err) {
      if (this.#closed) return;
      this.#o.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'could not load revocations; retrying');
      this.#reloadTimer = setTimeout(() => void this.load(), RELOAD_RETRY_MS).unref();
    }
  }

  /** Throws NsError `unauthorized` when `token` is revoked. */
  check(token: TokenFacts): void {
    if (this.#set.covers(token)) throw new NsError('unauthorized', 'token has been revoked');
  }

  /** Calls `onRevoked` once if `token` is revoked while watched (at once if it already is); returns the unwatch. */
  watch(token: TokenFacts, onRevoked: () => void): () => void {
    const w: Watch = { user: token.user, tokenId: token.tokenId, issuedAt: token.issuedAt, onRevoked };
    if (this.#set.covers(w)) {
      queueMicrotask(onRevoked);
      return () => {};
    }
    this.#watches.add(w);
    return () => this.#watches.delete(w);
  }

  /** Records a revocation, tells every instance and answers the record. NsError on bad input, the limit or Redis down. */
  async revoke(request: RevocationRequest, by: Principal): Promise<Revocation> {
    const now = Date.now() / 1000;
    const longest = now + this.#o.maxLifetimeS;
    let record: Revocation;
    if ('jti' in request) {
      if (request.expires_at !== undefined && request.expires_at <= now) {
        throw new NsError('invalid_message', 'expires_at: the token has expired already; there is nothing to revoke', { issues: [{ path: 'expires_at', code: 'too_small', message: 'must be in the future' }] });
      }
      // A token is never accepted for longer than the maximum lifetime from now, whatever exp it claims.
      record = { jti: request.jti, expires_at: Math.min(request.expires_at ?? longest, longest), revoked_at: now, by: by.id };
    } else {
      const issuedBefore = request.issued_before ?? now;
      // The last token issued before `issued_before` expires at most the maximum lifetime (plus the
      // clock tolerance for `iat`) after it.
      const expiresAt = issuedBefore + this.#o.maxLifetimeS + DEFAULT_CLOCK_TOLERANCE_S;
      if (expiresAt <= now) {
        throw new NsError('invalid_message', `issued_before: every token issued then has expired already (NS_JWT_MAX_LIFETIME_S=${this.#o.maxLifetimeS})`, {
          issues: [{ path: 'issued_before', code: 'too_small', message: 'too far in the past' }],
        });
      }
      record = { user: request.user, issued_before: issuedBefore, expires_at: expiresAt, revoked_at: now, by: by.id };
    }
    let put;
    try {
      put = await this.#o.control.put(REVOCATIONS, revocationId(record), JSON.stringify(record), record.expires_at * 1000, this.#o.max);
    } catch (err) {
      throw new NsError('unavailable', 'the revocation store is unavailable; nothing was revoked', { cause: err });
    }
    if (!put.stored) {
      throw new NsError('rate_limited', `at most ${this.#o.max} revocations may be active (NS_MAX_REVOCATIONS); older ones expire with their tokens`, {
        details: { max: this.#o.max, active: put.count },
      });
    }
    const target = 'jti' in record ? { jti: record.jti } : { user: record.user, issued_before: record.issued_before };
    try {
      await this.#o.control.broadcast({ kind: 'revoke', target, expires_at: record.expires_at });
    } catch (err) {
      // Applied here by the broadcast already; the others load it at their next start or resync.
      throw new NsError('unavailable', 'the revocation was stored but other instances could not be told; repeat the request', { cause: err });
    }
    return record;
  }

  /** The active revocations, soonest expiry first. */
  async list(): Promise<Revocation[]> {
    let records;
    try {
      records = await this.#o.control.list(REVOCATIONS);
    } catch (err) {
      throw new NsError('unavailable', 'the revocation store is unavailable', { cause: err });
    }
    return records.flatMap((r) => {
      const v = Revocation.safeParse(safeJson(r.value));
      return v.success ? [v.data] : [];
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#reloadTimer);
    clearInterval(this.#sweeper);
    for (const stop of this.#stop) stop();
    this.#watches.clear();
  }

  #apply(n: RevokeNotice): void {
    this.#set.add({ ...n.target, expires_at: n.expires_at });
    this.#closeCovered();
  }

  // Revocations are rare and a scan of every watched connection is a few milliseconds at 10k.
  #closeCovered(): void {
    for (const w of this.#watches) {
      if (!this.#set.covers(w)) continue;
      this.#watches.delete(w);
      w.onRevoked();
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

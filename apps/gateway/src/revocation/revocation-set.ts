import type { Revocation } from '@ns/contracts';

/** What a credential check needs to know about a verified token. */
export interface TokenFacts {
  /** The principal's id (`sub`, else `user_id`). */
  readonly user: string;
  readonly tokenId?: string | undefined;
  /** `iat`, Unix seconds; a token without one counts as issued before any `issued_before`. */
  readonly issuedAt?: number | undefined;
}

/** The record id of a revocation in the control store: one per token, one per user. */
export const revocationId = (r: { jti: string } | { user: string }): string => ('jti' in r ? `jti:${r.jti}` : `user:${r.user}`);

/**
 * This instance's copy of the active revocations, checked on every token verification: a map by
 * `jti` and one by user, each entry dropped at its expiry (swept on {@link sweep} and whenever the
 * set is full). Bounded by `max`: the shared store refuses revocations past the same limit, so the
 * bound is only reached if instances disagree on it; then the soonest-expiring entry makes room.
 */
export class RevocationSet {
  readonly #byJti = new Map<string, number>();
  readonly #byUser = new Map<string, { issuedBefore: number; expiresAtMs: number }>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#byJti.size + this.#byUser.size;
  }

  /** Adds or replaces one revocation. Returns false when it had expired already (nothing added). */
  add(r: Pick<Revocation, 'expires_at'> & ({ jti: string } | { user: string; issued_before: number })): boolean {
    const expiresAtMs = r.expires_at * 1000;
    if (expiresAtMs <= Date.now()) return false;
    const replacing = 'jti' in r ? this.#byJti.has(r.jti) : this.#byUser.has(r.user);
    if (!replacing && this.size >= this.#max) this.#makeRoom();
    if ('jti' in r) this.#byJti.set(r.jti, expiresAtMs);
    else this.#byUser.set(r.user, { issuedBefore: r.issued_before, expiresAtMs });
    return true;
  }

  /** Whether `token` is revoked now. */
  covers(token: TokenFacts): boolean {
    const now = Date.now();
    if (token.tokenId !== undefined) {
      const until = this.#byJti.get(token.tokenId);
      if (until !== undefined && until > now) return true;
    }
    const user = this.#byUser.get(token.user);
    return user !== undefined && user.expiresAtMs > now && (token.issuedAt === undefined || token.issuedAt < user.issuedBefore);
  }

  /** Replaces everything with `all` (a reload from the store). */
  replace(all: Iterable<Parameters<RevocationSet['add']>[0]>): void {
    this.#byJti.clear();
    this.#byUser.clear();
    for (const r of all) this.add(r);
  }

  /** Drops expired entries. */
  sweep(now = Date.now()): void {
    for (const [k, until] of this.#byJti) if (until <= now) this.#byJti.delete(k);
    for (const [k, u] of this.#byUser) if (u.expiresAtMs <= now) this.#byUser.delete(k);
  }

  #makeRoom(): void {
    this.sweep();
    if (this.size < this.#max) return;
    let soonest: { map: 'jti' | 'user'; key: string; at: number } | undefined;
    for (const [key, at] of this.#byJti) if (soonest === undefined || at < soonest.at) soonest = { map: 'jti', key, at };
    for (const [key, u] of this.#byUser) if (soonest === undefined || u.expiresAtMs < soonest.at) soonest = { map: 'user', key, at: u.expiresAtMs };
    if (soonest?.map === 'jti') this.#byJti.delete(soonest.key);
    else if (soonest !== undefined) this.#byUser.delete(soonest.key);
  }
}

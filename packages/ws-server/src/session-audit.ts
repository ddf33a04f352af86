import { decodeJwt } from 'jose';

/**
 * One security-relevant outcome of a WebSocket session, for the embedding service's audit log
 * (the gateway's `audit` logger). Who (`sub`, `jti`), what, from where, and why — never a token.
 */
export interface SessionAuditEntry {
  /** `auth_failed` (connect, `auth`, refresh, auth timeout), `permission_denied` (subscribe, refresh to another principal), `revoked` (closed for a revoked token). */
  event: 'auth_failed' | 'permission_denied' | 'revoked';
  /** `connect`, `auth`, `refresh`, `auth timeout`, `subscribe` or `close`. */
  action: string;
  /** The principal (verified), or the `sub` a refused token claims (unverified), or null. */
  sub: string | null;
  /** The token's `jti`, likewise; null when none. */
  jti: string | null;
  /** Whether `sub`/`jti` were read from a token that failed verification. */
  claimed: boolean;
  ip: string | null;
  connection_id: string;
  channel?: string;
  reason: string;
}

/** Receives the audit entries of every session of an endpoint. */
export type SessionAudit = (entry: SessionAuditEntry) => void;

const clipClaim = (v: unknown): string | null => (typeof v === 'string' ? v.slice(0, 256) : typeof v === 'number' ? String(v) : null);

/**
 * The `sub` (else `user_id`) and `jti` a token claims, read WITHOUT verifying it: for the audit line of
 * a refused token only (they may be forged, hence `claimed: true` there). Nulls when unreadable.
 */
export function claimedIdentity(token: string): { sub: string | null; jti: string | null } {
  try {
    const claims = decodeJwt(token);
    return { sub: clipClaim(claims.sub ?? claims.user_id), jti: clipClaim(claims.jti) };
  } catch {
    return { sub: null, jti: null };
  }
}

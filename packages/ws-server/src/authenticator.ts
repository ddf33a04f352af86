import type { IncomingMessage } from 'node:http';
import type { Principal } from '@ns/contracts';

/** Result of a successful verification. */
export interface Authentication {
  principal: Principal;
  /** Token expiry, Unix seconds; `null` for credentials that do not expire. */
  expiresAt: number | null;
  /** The token's `jti` claim, when it has one (revocation names tokens by it). */
  tokenId?: string;
  /** The token's `iat` claim, Unix seconds, when it has one. */
  issuedAt?: number;
  /**
   * Set by authenticators that can revoke a credential while it is in use: a session registers
   * `onRevoked` for as long as it holds this credential (replaced on refresh, dropped on close) and
   * closes with 4001 when it is called. Returns the unregister function.
   */
  watch?(onRevoked: () => void): () => void;
}

/**
 * The authentication integration point: turns a credential into a principal, or rejects with an
 * `NsError` coded `unauthorized` or `token_expired`. {@link jwtAuthenticator} is the built-in one.
 */
export interface Authenticator {
  verify(token: string): Promise<Authentication>;
}

/**
 * The credential a client presented while upgrading: `Authorization: Bearer <token>` first, then the
 * `?token=` query parameter (compatibility; always redacted from logs). Browsers, which cannot set
 * headers, send an `auth` message instead.
 */
export function upgradeCredential(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] !== undefined) return match[1];
  }
  const token = url.searchParams.get('token');
  return token === null || token === '' ? undefined : token;
}

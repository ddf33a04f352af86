import { CHANNELS, hasPermission, NsError, readDenial, UNRESTRICTED_PRINCIPAL, type ChannelName, type Permission, type Principal } from '@ns/contracts';
import { claimedIdentity, isUnrebindableHost, redactUrl, type Authentication } from '@ns/ws-server';
import type { FastifyRequest } from 'fastify';
import type { ApiKeyRing } from './api-keys.js';
import type { AuditLog } from './audit.js';
import type { AuthConfig } from './config.js';
import { isLoopbackAddress } from './loopback.js';
import type { TokenVerifier } from './ports.js';

/** Options of {@link HttpAuth}. */
export interface HttpAuthOptions {
  mode: AuthConfig['mode'];
  keys: ApiKeyRing;
  /** Verifies JWTs; `null` when no key material is configured. */
  verifier: TokenVerifier | null;
  allowAnonymous: boolean;
  /** Whether a trusted proxy's X-Forwarded-For decides `request.ip`. */
  trustProxy: boolean;
  /** Browser origins allowed besides the gateway's own host (CSRF guard). */
  allowedOrigins: () => readonly string[] | '*';
  /** Where every refusal gets its audit line. */
  audit?: AuditLog;
  /** Counts a rejected credential (the `ns_auth_failures_total` series). */
  onFailure?: (reason: 'missing' | 'invalid' | 'forbidden' | 'origin') => void;
}

// Only an IP or localhost Host counts as "our own": a named one may be a DNS-rebinding page whose
// name now resolves to this gateway (on 0.0.0.0 with loopback-only publishing, a browser on this
// machine would otherwise publish for it). Named deployments list their console's origin.
const sameHost = (origin: string, host: string | undefined): boolean => {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase() && isUnrebindableHost(host);
  } catch {
    return false;
  }
};

const bearer = (req: FastifyRequest): string | undefined => {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
};

/**
 * Authorization of the HTTP API (docs/protocol.md#auth): publishers present an API key (constant-time match) or a
 * JWT with `write:events`; without configured keys only loopback clients may publish. History is
 * authorized like a WebSocket subscription to the channel.
 */
export class HttpAuth {
  readonly #o: HttpAuthOptions;

  // Requests let through as `admin`, so that one hook can write each admin action's audit line.
  readonly #admins = new WeakMap<FastifyRequest, { principal: Principal; tokenId?: string | undefined }>();

  /** Who `req` acted as, when it was authorized as `admin` (see {@link authenticateWith}). */
  adminOf(req: FastifyRequest): { principal: Principal; tokenId?: string | undefined } | undefined {
    return this.#admins.get(req);
  }

  constructor(options: HttpAuthOptions) {
    this.#o = options;
  }

  /** Where publishing is allowed from, in words, for the start banner. */
  describePublishing(): string {
    const { keys, mode, verifier } = this.#o;
    const jwt = verifier === null ? '' : ' or a JWT with write:events';
    if (keys.size > 0) return `API key required (${keys.size} configured)${jwt}`;
    if (mode === 'none') return 'open to every client (NS_AUTH=none)';
    return `loopback clients only (no NS_PUBLISH_KEYS)${jwt === '' ? '' : `; others need${jwt.slice(3)}`}`;
  }

  /** Resolves when `req` may publish; rejects with NsError `unauthorized` / `forbidden`. */
  async authorizePublish(req: FastifyRequest): Promise<void> {
    await this.checkPublish(req);
  }

  /**
   * {@link authorizePublish} deciding synchronously where it can: returns `undefined` when `req` may
   * publish, throws NsError when it may not, and returns a promise only when a JWT must be verified.
   * The publish route runs it before the body is read; deferring every request there by even one
   * turn raised peak RSS under 3 MB batches by ~35 MB (measured), so API keys and loopback are
   * decided on the spot.
   */
  checkPublish(req: FastifyRequest): Promise<void> | undefined {
    this.checkOrigin(req);
    const token = bearer(req);
    const { keys, mode, verifier } = this.#o;
    if (token !== undefined) {
      if (keys.matches(token)) return undefined;
      if (verifier !== null) {
        // Publishers mostly hold API keys: a wrong key is not a malformed JWT, so an unverifiable
        // credential gets one answer naming both, not the JWS parser's complaint about it.
        return this.#verify(req, token).then(
          (auth) => {
            if (hasPermission(auth.principal, 'write:events')) return;
            const message = 'publishing requires the write:events permission';
            this.#fail('forbidden', req, message, auth);
            throw new NsError('forbidden', message);
          },
          (err: unknown) => {
            if (err instanceof NsError && err.code === 'token_expired') throw err;
            throw new NsError('unauthorized', 'invalid API key or token', { cause: err });
          },
        );
      }
    }
    if (keys.size === 0 && (mode === 'none' || this.#fromLoopback(req))) return undefined;
    const message =
      token === undefined
        ? keys.size > 0 || verifier !== null
          ? 'publishing requires Authorization: Bearer <api key or JWT with write:events>'
          : 'publishing without NS_PUBLISH_KEYS is allowed from loopback only'
        : 'invalid API key or token';
    this.#fail(token === undefined ? 'missing' : 'invalid', req, message);
    throw new NsError('unauthorized', message);
  }

  /** Resolves when `req` may read `channel`'s history (as a subscription would); else rejects. */
  async authorizeRead(req: FastifyRequest, channel: ChannelName): Promise<void> {
    this.checkOrigin(req);
    const { mode, verifier, allowAnonymous } = this.#o;
    if (mode === 'none') return;
    const token = bearer(req);
    const auth = token !== undefined && verifier !== null ? await this.#verify(req, token) : undefined;
    const principal: Principal | null = auth?.principal ?? null;
    // Admission first, as on /ws where a client without credentials is not let in when anonymous
    // access is off; then the channel-read rule the WebSocket subscribe follows, with its messages.
    if (principal === null && !allowAnonymous && CHANNELS[channel].readPermission === null) {
      const message = `channel ${channel} requires a token (anonymous access is disabled)`;
      this.#fail('missing', req, message);
      throw new NsError('unauthorized', message);
    }
    const denied = readDenial(principal, channel);
    if (denied === null) return;
    this.#fail(denied.code === 'forbidden' ? 'forbidden' : 'missing', req, denied.message, auth);
    throw new NsError(denied.code, denied.message);
  }

  /**
   * The principal of a JWT holding `permission` (a user acting, e.g. `write:alerts`): no API key or
   * loopback shortcut, since the action is recorded under the user's name. With `NS_AUTH=none`, the
   * unrestricted principal. Rejects with NsError `unauthorized` / `forbidden`.
   */
  async principalWith(req: FastifyRequest, permission: Permission): Promise<Principal> {
    return (await this.authenticateWith(req, permission)).principal;
  }

  /** {@link principalWith} with the token's `jti` too (for audit lines naming the token an admin used). */
  async authenticateWith(req: FastifyRequest, permission: Permission): Promise<{ principal: Principal; tokenId?: string | undefined }> {
    this.checkOrigin(req);
    if (this.#o.mode === 'none') {
      if (permission === 'admin') this.#admins.set(req, { principal: UNRESTRICTED_PRINCIPAL });
      return { principal: UNRESTRICTED_PRINCIPAL };
    }
    const token = bearer(req);
    if (token === undefined || this.#o.verifier === null) {
      const message = `this action requires Authorization: Bearer <JWT with ${permission}>`;
      this.#fail('missing', req, message);
      throw new NsError('unauthorized', message);
    }
    const auth = await this.#verify(req, token);
    if (hasPermission(auth.principal, permission)) {
      if (permission === 'admin') this.#admins.set(req, auth);
      return auth;
    }
    const message = `this action requires the ${permission} permission`;
    this.#fail('forbidden', req, message, auth);
    throw new NsError('forbidden', message);
  }

  async #verify(req: FastifyRequest, token: string): Promise<Authentication> {
    try {
      return await (this.#o.verifier as TokenVerifier).verify(token);
    } catch (err) {
      this.#fail('invalid', req, err instanceof NsError ? err.message : 'invalid token', { token });
      if (err instanceof NsError && (err.code === 'token_expired' || err.code === 'unauthorized')) throw err;
      throw new NsError('unauthorized', 'invalid token', { cause: err });
    }
  }

  /**
   * A browser page on another origin must not be able to drive the API with the user's network
   * position (loopback publishing). Same policy as the /ws endpoint: no Origin (non-browser clients),
   * a listed origin, or the gateway's own host (its console page) pass. Throws NsError `forbidden`.
   */
  checkOrigin(req: FastifyRequest): void {
    const origin = req.headers.origin;
    if (origin === undefined) return;
    const allowed = this.#o.allowedOrigins();
    if (allowed === '*' || allowed.includes(origin) || sameHost(origin, req.headers.host)) return;
    const message = `origin ${origin.slice(0, 100)} is not allowed (NS_ALLOWED_ORIGINS)`;
    this.#fail('origin', req, message);
    throw new NsError('forbidden', message);
  }

  // Behind a reverse proxy on the same host every request arrives from loopback; a forwarded request
  // only counts as local when a trusted proxy says the original client was.
  #fromLoopback(req: FastifyRequest): boolean {
    const forwarded = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
    if (!forwarded) return isLoopbackAddress(req.socket.remoteAddress);
    return this.#o.trustProxy && isLoopbackAddress(req.ip);
  }

  /**
   * Counts a refusal and writes its audit line: the verified principal and jti when known (`who` an
   * Authentication), else what a refused token claims (`who.token`, read unverified, never logged).
   */
  #fail(reason: 'missing' | 'invalid' | 'forbidden' | 'origin', req: FastifyRequest, message: string, who?: Authentication | { token: string }): void {
    this.#o.onFailure?.(reason);
    const audit = this.#o.audit;
    if (audit === undefined) return;
    const identity =
      who === undefined ? { sub: null, jti: null } : 'token' in who ? { claimed: true, ...claimedIdentity(who.token) } : { sub: who.principal.id, jti: who.tokenId ?? null };
    audit.record({
      event: reason === 'forbidden' || reason === 'origin' ? 'permission_denied' : 'auth_failed',
      outcome: 'refused',
      transport: 'http',
      action: `${req.method} ${req.routeOptions.url ?? redactUrl(req.url)}`,
      ...identity,
      ip: req.ip,
      reason: message,
    });
  }
}

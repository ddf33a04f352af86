import { createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import { JwtClaims, NsError, principalFromClaims } from '@ns/contracts';
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { Authentication, Authenticator } from './authenticator.js';
import { algorithmsForJwks, algorithmsForPublicKey } from './jwt-algorithms.js';

/** Default leeway for clock differences between the token issuer and this host, in seconds. */
export const DEFAULT_CLOCK_TOLERANCE_S = 60;

/** Options of {@link jwtAuthenticator}: exactly one of `secret`, `publicKeyPem`, `jwks`. */
export interface JwtAuthenticatorOptions {
  /** HS256 shared secret (NetSentinel's `JWT_SECRET`). */
  secret?: string;
  /** Public key or certificate, PEM text: RSA, RSA-PSS, EC P-256/384/521 or Ed25519. */
  publicKeyPem?: string;
  /** A JWK set (`{ keys: [...] }`), e.g. parsed from `NS_JWT_PUBLIC_KEY_FILE`. */
  jwks?: object;
  /**
   * Accepted algorithms. Default: HS256 for a secret; derived from the key itself for a PEM key or
   * each JWK (see `algorithmsForPublicKey` / `algorithmsForJwk`). May only narrow that set.
   */
  algorithms?: string[];
  /** Required `iss` (one of). Unset: `iss` is not checked. */
  issuer?: string | string[];
  /** This service's name(s): a token must carry one of them in `aud` (RFC 7519 §4.1.3). Unset: not checked. */
  audience?: string | string[];
  /** Refuse tokens without `exp` (they would never expire). Default true. */
  requireExp?: boolean;
  /** Leeway for `nbf` and `iat` in the future, in seconds (`exp` gets none). Default {@link DEFAULT_CLOCK_TOLERANCE_S}. */
  clockToleranceS?: number;
  /**
   * Longest accepted token lifetime, seconds: `exp - iat` (from now for a token without `iat`). Bounds
   * how long a revocation of "every token issued before T" must be kept. Unset: not checked.
   */
  maxLifetimeS?: number;
}

/**
 * The built-in JWT authenticator (via `jose`): verifies the signature with an algorithm the key
 * allows, `exp` (required unless `requireExp: false`), `nbf` and `iat` not in the future beyond the
 * clock tolerance, `iss`/`aud` when configured, and refuses refresh tokens (`token_type` other than
 * `access`). Reads the claims with the contracts' `JwtClaims` and maps them to a principal. Rejects
 * with `NsError('token_expired')` for an expired token and `NsError('unauthorized')` for anything
 * else; the message says which check failed, never the token. Throws a `RangeError` for bad options.
 */
export function jwtAuthenticator(options: JwtAuthenticatorOptions): Authenticator {
  const sources = [options.secret, options.publicKeyPem, options.jwks].filter((s) => s !== undefined);
  if (sources.length !== 1) throw new RangeError('jwtAuthenticator: give exactly one of secret, publicKeyPem, jwks');
  let key: Promise<webcrypto.CryptoKey> | KeyObject | JWTVerifyGetKey;
  let keyAlgorithms: string[];
  if (options.secret !== undefined) {
    if (options.secret.length === 0) throw new RangeError('jwtAuthenticator: secret must not be empty');
    // Imported once: given the bytes, jose imports a CryptoKey on every verify (measured: ~100 µs of
    // ~150 per HS256 token on this machine, and four new hidden classes per import).
    key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(options.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    keyAlgorithms = ['HS256'];
  } else if (options.publicKeyPem !== undefined) {
    const publicKey = createPublicKey(options.publicKeyPem);
    key = publicKey;
    keyAlgorithms = algorithmsForPublicKey(publicKey);
  } else {
    const jwks = options.jwks as JSONWebKeySet;
    if (!Array.isArray(jwks.keys)) throw new RangeError('jwtAuthenticator: jwks must be {"keys": [...]}');
    keyAlgorithms = algorithmsForJwks(jwks);
    key = createLocalJWKSet(jwks);
  }
  const algorithms = options.algorithms ?? keyAlgorithms;
  const foreign = algorithms.filter((a) => !keyAlgorithms.includes(a));
  if (foreign.length > 0) throw new RangeError(`jwtAuthenticator: the key does not verify ${foreign.join(', ')} (it verifies ${keyAlgorithms.join(', ')})`);
  const toleranceS = options.clockToleranceS ?? DEFAULT_CLOCK_TOLERANCE_S;
  if (!(toleranceS >= 0)) throw new RangeError('jwtAuthenticator: clockToleranceS must be ≥ 0');
  const verifyOptions: JWTVerifyOptions = {
    algorithms,
    clockTolerance: toleranceS,
    ...(options.requireExp === false ? {} : { requiredClaims: ['exp'] }),
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
  };

  return {
    async verify(token: string): Promise<Authentication> {
      let payload: Record<string, unknown>;
      try {
        // (The cast picks jwtVerify's overload for a key rather than a key getter; both take a CryptoKey.)
        ({ payload } = await jwtVerify(token, (key instanceof Promise ? await key : key) as KeyObject, verifyOptions));
      } catch (err) {
        if (err instanceof errors.JWTExpired) throw new NsError('token_expired', 'token has expired', { cause: err });
        const reason = err instanceof errors.JOSEError ? err.message : 'malformed token';
        throw new NsError('unauthorized', `invalid token: ${reason}`, { cause: err });
      }
      // The tolerance is for claims dated in the future (an issuer's clock slightly ahead); an expired
      // token stays expired to the second, as the client's `auth_expiring` schedule assumes.
      if (typeof payload.exp === 'number' && payload.exp * 1000 <= Date.now()) throw new NsError('token_expired', 'token has expired');
      // jose checks a future `iat` only together with a maximum token age; a token "issued" in the
      // future is a forged or mis-clocked one either way.
      if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + toleranceS) {
        throw new NsError('unauthorized', 'invalid token: "iat" claim is in the future');
      }
      // NetSentinel's refresh tokens are signed with the same key; they buy new access tokens, not access.
      if (payload.token_type !== undefined && payload.token_type !== 'access') {
        throw new NsError('unauthorized', `invalid token: a ${typeof payload.token_type === 'string' ? JSON.stringify(payload.token_type.slice(0, 32)) : 'non-access'} token cannot be used for access`);
      }
      if (options.maxLifetimeS !== undefined && typeof payload.exp === 'number') {
        const from = typeof payload.iat === 'number' ? payload.iat : Date.now() / 1000;
        if (payload.exp - from > options.maxLifetimeS) {
          throw new NsError('unauthorized', `invalid token: lifetime over the accepted maximum of ${options.maxLifetimeS} s`);
        }
      }
      const claims = JwtClaims.safeParse(payload);
      if (!claims.success) {
        const issue = claims.error.issues[0];
        throw new NsError('unauthorized', `invalid token claims: ${issue === undefined ? 'invalid' : `${issue.path.join('.') || 'claims'}: ${issue.message}`}`);
      }
      const { exp, iat, jti } = claims.data;
      return { principal: principalFromClaims(claims.data), expiresAt: exp ?? null, ...(jti === undefined ? {} : { tokenId: jti }), ...(iat === undefined ? {} : { issuedAt: iat }) };
    },
  };
}

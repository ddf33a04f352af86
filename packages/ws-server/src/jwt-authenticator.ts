import { createPublicKey, type KeyObject } from 'node:crypto';
import { JwtClaims, NsError, principalFromClaims } from '@ns/contracts';
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Authentication, Authenticator } from './authenticator.js';

/** Options of {@link jwtAuthenticator}: exactly one of `secret`, `publicKeyPem`, `jwks`. */
export interface JwtAuthenticatorOptions {
  /** HS256 shared secret (NetSentinel's `JWT_SECRET`). */
  secret?: string;
  /** RS256 / ES256 public key, PEM (SPKI) text. */
  publicKeyPem?: string;
  /** A JWK set (`{ keys: [...] }`), e.g. parsed from `NS_JWT_PUBLIC_KEY_FILE`. */
  jwks?: object;
  /** Accepted algorithms; default HS256 for a secret, RS256 or ES256 (by key type) for a PEM, both for a JWKS. */
  algorithms?: string[];
  issuer?: string | string[];
  audience?: string | string[];
}

function pemAlgorithms(key: KeyObject): string[] {
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') return ['RS256'];
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return [curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : 'ES256'];
  }
  throw new RangeError(`publicKeyPem: unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
}

/**
 * The built-in JWT authenticator (DESIGN §6, via `jose`): verifies the signature, `exp`/`nbf` (and
 * `iss`/`aud` when configured), reads the claims with the contracts' `JwtClaims` and maps them to a
 * principal with `principalFromClaims`. Rejects with `NsError('token_expired')` for an expired token and
 * `NsError('unauthorized')` for anything else.
 */
export function jwtAuthenticator(options: JwtAuthenticatorOptions): Authenticator {
  const sources = [options.secret, options.publicKeyPem, options.jwks].filter((s) => s !== undefined);
  if (sources.length !== 1) throw new RangeError('jwtAuthenticator: give exactly one of secret, publicKeyPem, jwks');
  let key: Uint8Array | KeyObject | JWTVerifyGetKey;
  let algorithms: string[];
  if (options.secret !== undefined) {
    if (options.secret.length === 0) throw new RangeError('jwtAuthenticator: secret must not be empty');
    key = new TextEncoder().encode(options.secret);
    algorithms = options.algorithms ?? ['HS256'];
  } else if (options.publicKeyPem !== undefined) {
    const publicKey = createPublicKey(options.publicKeyPem);
    key = publicKey;
    algorithms = options.algorithms ?? pemAlgorithms(publicKey);
  } else {
    key = createLocalJWKSet(options.jwks as JSONWebKeySet);
    algorithms = options.algorithms ?? ['RS256', 'ES256'];
  }
  const verifyOptions = {
    algorithms,
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
  };

  return {
    async verify(token: string): Promise<Authentication> {
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(token, key as Uint8Array, verifyOptions));
      } catch (err) {
        if (err instanceof errors.JWTExpired) throw new NsError('token_expired', 'token has expired', { cause: err });
        const reason = err instanceof errors.JOSEError ? err.message : 'malformed token';
        throw new NsError('unauthorized', `invalid token: ${reason}`, { cause: err });
      }
      const claims = JwtClaims.safeParse(payload);
      if (!claims.success) {
        const issue = claims.error.issues[0];
        throw new NsError('unauthorized', `invalid token claims: ${issue === undefined ? 'invalid' : `${issue.path.join('.') || 'claims'}: ${issue.message}`}`);
      }
      return { principal: principalFromClaims(claims.data), expiresAt: claims.data.exp ?? null };
    },
  };
}

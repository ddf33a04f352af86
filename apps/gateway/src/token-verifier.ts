import { NsError } from '@ns/contracts';
import { jwtAuthenticator, type Authenticator } from '@ns/ws-server';
import type { AuthConfig } from './config.js';
import type { TokenVerifier } from './ports.js';

/**
 * The JWT verifier for the configured key material and claim checks (jose, via @ns/ws-server): the
 * one verifier behind the /ws endpoint, the HTTP API and the CLI; `null` when tokens cannot be
 * verified (NS_AUTH=none, local mode). Algorithms come from the key itself (`algorithmsForPublicKey`,
 * `algorithmsForJwk`), never from the token.
 */
export function createTokenVerifier(auth: AuthConfig, maxLifetimeS?: number): TokenVerifier | null {
  if (auth.mode !== 'jwt') return null;
  const checks = {
    requireExp: auth.requireExp,
    ...(maxLifetimeS === undefined ? {} : { maxLifetimeS }),
    ...(auth.issuer.length === 0 ? {} : { issuer: auth.issuer }),
    ...(auth.audience.length === 0 ? {} : { audience: auth.audience }),
  };
  if (auth.secret !== undefined) return jwtAuthenticator({ secret: auth.secret.reveal(), ...checks });
  const key = auth.publicKey;
  return key.kind === 'pem' ? jwtAuthenticator({ publicKeyPem: key.pem, ...checks }) : jwtAuthenticator({ jwks: key.jwks, ...checks });
}

/** Refuses every token: used when no key material is configured (local mode), so no token can unlock a protected channel. */
export const NO_TOKEN_AUTHENTICATOR: Authenticator = {
  verify: () =>
    Promise.reject(new NsError('unauthorized', 'this gateway has no JWT key configured (NS_JWT_SECRET / NS_JWT_PUBLIC_KEY_FILE)')),
};

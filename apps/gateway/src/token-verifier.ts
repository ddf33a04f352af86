import { NsError } from '@ns/contracts';
import { jwtAuthenticator, type Authenticator } from '@ns/ws-server';
import type { AuthConfig } from './config.js';
import type { TokenVerifier } from './ports.js';

/**
 * The JWT verifier for the configured key material (jose, via @ns/ws-server), shared by the /ws
 * endpoint and the HTTP API; `null` when tokens cannot be verified (NS_AUTH=none, local mode).
 */
export function createTokenVerifier(auth: AuthConfig): TokenVerifier | null {
  if (auth.mode !== 'jwt') return null;
  if (auth.secret !== undefined) return jwtAuthenticator({ secret: auth.secret.reveal(), algorithms: ['HS256'] });
  const key = auth.publicKey;
  return key.kind === 'pem' ? jwtAuthenticator({ publicKeyPem: key.pem, algorithms: key.algorithms }) : jwtAuthenticator({ jwks: key.jwks });
}

/** Refuses every token: used when no key material is configured (local mode), so no token can unlock a protected channel. */
export const NO_TOKEN_AUTHENTICATOR: Authenticator = {
  verify: () =>
    Promise.reject(new NsError('unauthorized', 'this gateway has no JWT key configured (NS_JWT_SECRET / NS_JWT_PUBLIC_KEY_FILE)')),
};

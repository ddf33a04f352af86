import type { Authentication } from '@ns/ws-server';
import type { TokenVerifier } from '../ports.js';
import type { Revocations } from './revocations.js';

/**
 * `verifier` with revocation: the one place every token — /ws at connect, `auth` and refresh, and
 * the HTTP API — is checked against the active revocations after its signature and claims. A revoked
 * token rejects with NsError `unauthorized` ("token has been revoked"); an accepted one carries
 * `watch`, so a session holding it is closed (4001) when it is revoked later.
 */
export function revocationChecking(verifier: TokenVerifier, revocations: Revocations): TokenVerifier {
  return {
    async verify(token: string): Promise<Authentication> {
      const auth = await verifier.verify(token);
      const facts = { user: auth.principal.id, tokenId: auth.tokenId, issuedAt: auth.issuedAt };
      revocations.check(facts);
      // Key by key, not `{ ...auth, watch }`: on Node 20's V8 a literal that starts with a spread and adds
      // a key gets a hidden class of its own, one more map per authentication.
      const { principal, expiresAt, tokenId, issuedAt } = auth;
      return { principal, expiresAt, tokenId, issuedAt, watch: (onRevoked) => revocations.watch(facts, onRevoked) };
    },
  };
}

import type { KeyObject } from 'node:crypto';

// The one place that decides which JWS algorithms a verification key accepts, for PEM keys and JWKS
// entries alike: the key's own type (and curve) fixes the family, so a token can never pick an
// algorithm its key was not made for (e.g. HS256 with an RSA public key as the "secret").

const RSA = ['RS256', 'RS384', 'RS512'] as const;
const RSA_PSS = ['PS256', 'PS384', 'PS512'] as const;
// Node's curve names and JOSE's (RFC 7518 §6.2.1.1) for the same three curves.
const EC_BY_NODE_CURVE: Readonly<Record<string, string>> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };
const EC_BY_JWK_CURVE: Readonly<Record<string, string>> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
// RFC 8037 `EdDSA`, and the fully-specified `Ed25519` of RFC 9864 (jose accepts both).
const ED25519 = ['EdDSA', 'Ed25519'] as const;

/** Key types a public key may have, for error messages. */
export const SUPPORTED_KEY_TYPES = 'RSA, RSA-PSS, EC P-256/P-384/P-521 or Ed25519';

/**
 * The algorithms a public key (from a PEM file or certificate) verifies: RSA → RS256/384/512,
 * RSA-PSS → PS256/384/512, EC → the one ES* of its curve, Ed25519 → EdDSA. Throws a `RangeError`
 * naming the key type for anything else.
 */
export function algorithmsForPublicKey(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return [...RSA];
    case 'rsa-pss':
      return [...RSA_PSS];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
      const alg = EC_BY_NODE_CURVE[curve];
      if (alg === undefined) throw new RangeError(`an EC key on curve ${curve} is not supported; use ${SUPPORTED_KEY_TYPES}`);
      return [alg];
    }
    case 'ed25519':
      return [...ED25519];
    default:
      throw new RangeError(`a ${key.asymmetricKeyType ?? 'secret'} key is not supported; use ${SUPPORTED_KEY_TYPES}`);
  }
}

/**
 * The algorithms one JWK verifies, derived from `kty` and `crv` (RSA → RS*, and PS* too when its
 * `alg` says so; EC → the ES* of its curve; OKP Ed25519 → EdDSA). A JWK's `alg`, when present, narrows
 * that to itself and must belong to the family. Throws a `RangeError` saying what is wrong.
 */
export function algorithmsForJwk(jwk: Readonly<Record<string, unknown>>): string[] {
  const { kty, crv, alg } = jwk;
  let family: readonly string[];
  if (kty === 'RSA') family = [...RSA, ...RSA_PSS];
  else if (kty === 'EC') {
    const es = typeof crv === 'string' ? EC_BY_JWK_CURVE[crv] : undefined;
    if (es === undefined) throw new RangeError(`an EC key on curve ${String(crv)} is not supported; use P-256, P-384 or P-521`);
    family = [es];
  } else if (kty === 'OKP') {
    if (crv !== 'Ed25519') throw new RangeError(`an OKP key on curve ${String(crv)} is not supported; use Ed25519`);
    family = ED25519;
  } else if (kty === 'oct') {
    throw new RangeError('a symmetric ("oct") key does not belong in a public key file; use NS_JWT_SECRET for HS256');
  } else {
    throw new RangeError(`key type ${JSON.stringify(kty)} is not supported; use ${SUPPORTED_KEY_TYPES}`);
  }
  if (alg === undefined) return kty === 'RSA' ? [...RSA] : [...family];
  if (typeof alg !== 'string' || !family.includes(alg)) {
    throw new RangeError(`"alg": ${JSON.stringify(alg)} does not fit a ${kty}${typeof crv === 'string' ? ` ${crv}` : ''} key (expected ${family.join(', ')})`);
  }
  return [alg];
}

/**
 * The algorithms a JWK set verifies: the union of its keys' ({@link algorithmsForJwk}). Throws a
 * `RangeError` naming the first unusable key by index (and `kid`). jose then picks, per token, the
 * key whose type, curve and `alg` fit the token's header.
 */
export function algorithmsForJwks(jwks: { keys: readonly unknown[] }): string[] {
  if (jwks.keys.length === 0) throw new RangeError('the JWK set holds no key');
  const out = new Set<string>();
  jwks.keys.forEach((key, i) => {
    if (typeof key !== 'object' || key === null || Array.isArray(key)) throw new RangeError(`keys[${i}] is not a JWK object`);
    const jwk = key as Record<string, unknown>;
    if ('d' in jwk) throw new RangeError(`keys[${i}] is a private key; give the gateway public keys only`);
    if (jwk.use !== undefined && jwk.use !== 'sig') throw new RangeError(`keys[${i}] has "use": ${JSON.stringify(jwk.use)}; a verification key must be "sig"`);
    try {
      for (const alg of algorithmsForJwk(jwk)) out.add(alg);
    } catch (err) {
      const kid = typeof jwk.kid === 'string' ? ` (kid ${JSON.stringify(jwk.kid.slice(0, 64))})` : '';
      throw new RangeError(`keys[${i}]${kid}: ${(err as Error).message}`);
    }
  });
  return [...out];
}

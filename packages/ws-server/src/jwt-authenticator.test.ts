import { NsError } from '@ns/contracts';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwtAuthenticator } from './jwt-authenticator.js';

const SECRET = 'unit-test-secret-unit-test-secret!';
const hour = () => Math.floor(Date.now() / 1000) + 3600;

async function rejection(p: Promise<unknown>): Promise<NsError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(NsError);
    return err as NsError;
  }
  throw new Error('expected a rejection');
}

describe('jwtAuthenticator', () => {
  it('verifies HS256 tokens and maps claims to a principal', async () => {
    const auth = jwtAuthenticator({ secret: SECRET });
    const exp = hour();
    const t = await new SignJWT({ user_id: 42, username: 'bob', roles: ['viewer', 'unknown-role'], permissions: ['write:events', 'other:perm'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(SECRET));
    expect(await auth.verify(t)).toEqual({
      principal: { id: '42', username: 'bob', roles: ['viewer'], permissions: ['read:events', 'read:alerts', 'write:events'] },
      expiresAt: exp,
    });
  });

  it('reports jti and iat, and refuses a lifetime over maxLifetimeS (exp - iat, or exp - now without iat)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sign = (iat: number | undefined, exp: number) => {
      const jwt = new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'HS256' }).setJti('t-1').setExpirationTime(exp);
      return (iat === undefined ? jwt : jwt.setIssuedAt(iat)).sign(new TextEncoder().encode(SECRET));
    };
    const auth = jwtAuthenticator({ secret: SECRET, maxLifetimeS: 3600 });
    expect(await auth.verify(await sign(now - 100, now + 3500))).toMatchObject({ tokenId: 't-1', issuedAt: now - 100, expiresAt: now + 3500 });
    expect((await rejection(auth.verify(await sign(now - 100, now + 3501)))).message).toBe('invalid token: lifetime over the accepted maximum of 3600 s');
    expect(await auth.verify(await sign(undefined, now + 3590))).toMatchObject({ tokenId: 't-1', expiresAt: now + 3590 });
    expect((await rejection(auth.verify(await sign(undefined, now + 3700)))).code).toBe('unauthorized');
    // Unset: no maximum.
    expect((await jwtAuthenticator({ secret: SECRET }).verify(await sign(now, now + 10 * 365 * 86400))).issuedAt).toBe(now);
  });

  it('refuses tokens without exp unless requireExp is false, then treats them as non-expiring', async () => {
    const t = await new SignJWT({ sub: 'svc' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    expect((await rejection(jwtAuthenticator({ secret: SECRET }).verify(t))).message).toMatch(/missing required "exp" claim/);
    expect((await jwtAuthenticator({ secret: SECRET, requireExp: false }).verify(t)).expiresAt).toBeNull();
  });

  it('refuses nbf and iat in the future beyond the clock tolerance, and refresh tokens', async () => {
    const auth = jwtAuthenticator({ secret: SECRET });
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT({ sub: 'u', exp: now + 600, ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    expect((await rejection(auth.verify(await sign({ nbf: now + 3600 })))).message).toMatch(/"nbf"/);
    expect((await rejection(auth.verify(await sign({ iat: now + 365 * 86400 })))).message).toMatch(/"iat" claim is in the future/);
    // Within the tolerance: a clock a few seconds ahead is not an attack.
    expect((await auth.verify(await sign({ iat: now + 5, nbf: now + 5 }))).principal.id).toBe('u');
    expect((await rejection(auth.verify(await sign({ token_type: 'refresh' })))).message).toMatch(/"refresh" token cannot be used for access/);
    expect((await auth.verify(await sign({ token_type: 'access' }))).principal.id).toBe('u');
  });

  it.each([
    ['EdDSA', 'Ed25519'],
    ['ES384', 'ES384'],
    ['RS384', 'RS384'],
    ['ES512', 'ES512'],
  ] as const)('verifies %s tokens against a JWK set whose key has no alg (derived from kty/crv)', async (alg, keyAlg) => {
    const { publicKey, privateKey } = await generateKeyPair(keyAlg);
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1' };
    const auth = jwtAuthenticator({ jwks: { keys: [jwk] } });
    const t = await new SignJWT({ sub: 'u' }).setProtectedHeader({ alg, kid: 'k1' }).setExpirationTime('5m').sign(privateKey);
    expect((await auth.verify(t)).principal.id).toBe('u');
  });

  it('refuses a JWK set with a key it cannot use, naming the key', () => {
    expect(() => jwtAuthenticator({ jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'hs' }] } })).toThrow(/keys\[0\] \(kid "hs"\): a symmetric/);
    expect(() => jwtAuthenticator({ jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', alg: 'ES384' }] } })).toThrow(/"alg": "ES384" does not fit a EC P-256 key/);
    expect(() => jwtAuthenticator({ jwks: { keys: [{ kty: 'EC', crv: 'secp256k1', x: 'a', y: 'b' }] } })).toThrow(/curve secp256k1/);
  });

  it.each(['RS256', 'ES256'] as const)('verifies %s tokens against a PEM public key', async (alg) => {
    const { publicKey, privateKey } = await generateKeyPair(alg);
    const auth = jwtAuthenticator({ publicKeyPem: await exportSPKI(publicKey) });
    const t = await new SignJWT({ sub: 'u', roles: ['admin'] }).setProtectedHeader({ alg }).setExpirationTime(hour()).sign(privateKey);
    expect((await auth.verify(t)).principal.permissions).toContain('admin');
    // A token signed with another algorithm family is refused.
    const hs = await new SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    expect((await rejection(auth.verify(hs))).code).toBe('unauthorized');
  });

  it('verifies tokens against a JWK set by key id', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const auth = jwtAuthenticator({ jwks: { keys: [jwk] } });
    const t = await new SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setExpirationTime('5m').sign(privateKey);
    expect((await auth.verify(t)).principal.id).toBe('u');
  });

  it('rejects expired tokens with token_expired', async () => {
    const t = await new SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) - 5).sign(new TextEncoder().encode(SECRET));
    expect((await rejection(jwtAuthenticator({ secret: SECRET }).verify(t))).code).toBe('token_expired');
  });

  it('rejects a wrong signature, a malformed token and a wrong issuer or audience with unauthorized', async () => {
    const auth = jwtAuthenticator({ secret: SECRET, issuer: 'netsentinel', audience: 'gateway' });
    const sign = (claims: Record<string, unknown>, secret = SECRET) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
    const good = await sign({ sub: 'u', iss: 'netsentinel', aud: 'gateway' });
    expect((await auth.verify(good)).principal.id).toBe('u');
    expect((await rejection(auth.verify(await sign({ sub: 'u', iss: 'netsentinel', aud: 'gateway' }, 'x'.repeat(32))))).message).toMatch(/signature/);
    expect((await rejection(auth.verify('not.a.jwt'))).code).toBe('unauthorized');
    expect((await rejection(auth.verify(await sign({ sub: 'u', iss: 'other', aud: 'gateway' })))).code).toBe('unauthorized');
    expect((await rejection(auth.verify(await sign({ sub: 'u', iss: 'netsentinel', aud: 'other' })))).code).toBe('unauthorized');
    expect((await rejection(auth.verify(await sign({ sub: 'u', iss: 'netsentinel' })))).message).toMatch(/missing required "aud"/);
    expect((await auth.verify(await sign({ sub: 'u', iss: 'netsentinel', aud: ['other', 'gateway'] }))).principal.id).toBe('u');
  });

  it('rejects tokens whose claims do not name a user', async () => {
    const t = await new SignJWT({ username: 'nobody' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
    expect((await rejection(jwtAuthenticator({ secret: SECRET }).verify(t))).message).toMatch(/claims/);
  });

  it('needs exactly one key source', () => {
    expect(() => jwtAuthenticator({})).toThrow(RangeError);
    expect(() => jwtAuthenticator({ secret: 'a', jwks: { keys: [] } })).toThrow(RangeError);
    expect(() => jwtAuthenticator({ secret: '' })).toThrow(RangeError);
  });
});

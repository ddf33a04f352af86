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

  it('accepts tokens without exp as non-expiring', async () => {
    const t = await new SignJWT({ sub: 'svc' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    expect((await jwtAuthenticator({ secret: SECRET }).verify(t)).expiresAt).toBeNull();
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
    const t = await new SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);
    expect((await auth.verify(t)).principal.id).toBe('u');
  });

  it('rejects expired tokens with token_expired', async () => {
    const t = await new SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) - 5).sign(new TextEncoder().encode(SECRET));
    expect((await rejection(jwtAuthenticator({ secret: SECRET }).verify(t))).code).toBe('token_expired');
  });

  it('rejects a wrong signature, a malformed token and a wrong issuer or audience with unauthorized', async () => {
    const auth = jwtAuthenticator({ secret: SECRET, issuer: 'netsentinel', audience: 'gateway' });
    const sign = (claims: Record<string, unknown>, secret = SECRET) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
    const good = await sign({ sub: 'u', iss: 'netsentinel', aud: 'gateway' });
    expect((await auth.verify(good)).principal.id).toBe('u');
    expect((await rejection(auth.verify(await sign({ sub: 'u', iss: 'netsentinel', aud: 'gateway' }, 'x'.repeat(32))))).message).toMatch(/signature/);
    expect((await rejection(auth.verify('not.a.jwt'))).code).toBe('unauthorized');
    expect((await rejection(auth.verify(await sign({ sub: 'u', iss: 'other', aud: 'gateway' })))).code).toBe('unauthorized');
    expect((await rejection(auth.verify(await sign({ sub: 'u', iss: 'netsentinel', aud: 'other' })))).code).toBe('unauthorized');
  });

  it('rejects tokens whose claims do not name a user', async () => {
    const t = await new SignJWT({ username: 'nobody' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    expect((await rejection(jwtAuthenticator({ secret: SECRET }).verify(t))).message).toMatch(/claims/);
  });

  it('needs exactly one key source', () => {
    expect(() => jwtAuthenticator({})).toThrow(RangeError);
    expect(() => jwtAuthenticator({ secret: 'a', jwks: { keys: [] } })).toThrow(RangeError);
    expect(() => jwtAuthenticator({ secret: '' })).toThrow(RangeError);
  });
});

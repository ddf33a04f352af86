import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createTokenVerifier } from './token-verifier.js';

describe('createTokenVerifier', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('verifies HS256 tokens signed with NS_JWT_SECRET and maps roles to permissions', async () => {
    const secret = 'x'.repeat(32);
    const verifier = createTokenVerifier(loadConfig({ NS_JWT_SECRET: secret }).auth);
    const token = await new SignJWT({ sub: 'u1', roles: ['analyst'] }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
    const { principal } = await verifier!.verify(token);
    expect(principal.permissions).toEqual(['read:events', 'read:alerts', 'write:alerts']);
  });

  it('verifies ES256 and EdDSA tokens against NS_JWT_PUBLIC_KEY_FILE and refuses other signers', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ns-verifier-'));
    for (const [type, alg] of [['ec', 'ES256'], ['ed25519', 'EdDSA']] as const) {
      const pair = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('ed25519');
      const file = join(dir, `${type}.pem`);
      writeFileSync(file, pair.publicKey.export({ type: 'spki', format: 'pem' }));
      const verifier = createTokenVerifier(loadConfig({ NS_JWT_PUBLIC_KEY_FILE: file }).auth);
      const good = await new SignJWT({ sub: 'svc', permissions: ['write:events'] }).setProtectedHeader({ alg }).setExpirationTime('5m').sign(pair.privateKey);
      expect((await verifier!.verify(good)).principal.permissions).toEqual(['write:events']);
      const other = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('ed25519');
      const forged = await new SignJWT({ sub: 'svc', permissions: ['admin'] }).setProtectedHeader({ alg }).sign(other.privateKey);
      await expect(verifier!.verify(forged)).rejects.toMatchObject({ code: 'unauthorized' });
    }
  });

  it('has nothing to verify with in local or NS_AUTH=none mode', () => {
    expect(createTokenVerifier(loadConfig({}).auth)).toBeNull();
    expect(createTokenVerifier(loadConfig({ NS_AUTH: 'none' }).auth)).toBeNull();
  });
});

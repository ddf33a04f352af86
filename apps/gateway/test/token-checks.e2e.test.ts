import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startGateway, stopAllGateways, type GatewayProcess } from '@ns/testkit';
import { jsonOf } from './support/json.js';

// Claim checks and key algorithms, against the real process: each token is tried on the history
// endpoint (HTTP 200 or 401) and, where it matters, on /ws (welcome or close 4001).

const SECRET = 'token-checks-secret-0123456789abcdef0123';
const now = () => Math.floor(Date.now() / 1000);
const hs = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
const analyst = { sub: 'u1', roles: ['analyst'] };

async function historyStatus(gw: GatewayProcess, token: string): Promise<{ status: number; message: string }> {
  const res = await fetch(`${gw.url}/v1/channels/alerts/history`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await jsonOf(res)) as { error?: { message: string } };
  return { status: res.status, message: body.error?.message ?? '' };
}

/** Opens /ws with the token as an upgrade credential: `welcome` or the close code. */
function wsOutcome(gw: GatewayProcess, token: string): Promise<'welcome' | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(gw.wsUrl, 'ns.v1', { headers: { authorization: `Bearer ${token}` } });
    ws.on('message', (data) => {
      if ((JSON.parse(data.toString()) as { type: string }).type === 'welcome') {
        resolve('welcome');
        ws.close();
      }
    });
    ws.on('close', (code) => resolve(code));
    ws.on('error', reject);
  });
}

afterAll(stopAllGateways);

describe('claim checks (NS_JWT_AUDIENCE, NS_JWT_ISSUER, NS_JWT_REQUIRE_EXP)', () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGateway({ NS_JWT_SECRET: SECRET, NS_JWT_AUDIENCE: 'ns-gateway', NS_JWT_ISSUER: 'netsentinel' });
  });
  afterAll(() => gw.shutdown());

  it('reads alerts with a token for this audience and issuer', async () => {
    const token = await hs({ ...analyst, aud: ['billing', 'ns-gateway'], iss: 'netsentinel', exp: now() + 300, iat: now() });
    expect((await historyStatus(gw, token)).status).toBe(200);
    expect(await wsOutcome(gw, token)).toBe('welcome');
  });

  it('refuses a token for another audience, one without aud, and one from another issuer', async () => {
    const other = await hs({ ...analyst, aud: 'billing', iss: 'netsentinel', exp: now() + 300 });
    expect(await historyStatus(gw, other)).toEqual({ status: 401, message: expect.stringMatching(/"aud"/) as string });
    expect(await wsOutcome(gw, other)).toBe(4001);
    expect((await historyStatus(gw, await hs({ ...analyst, iss: 'netsentinel', exp: now() + 300 }))).message).toMatch(/missing required "aud"/);
    expect((await historyStatus(gw, await hs({ ...analyst, aud: 'ns-gateway', iss: 'evil', exp: now() + 300 }))).message).toMatch(/"iss"/);
  });
});

describe('default claim checks', () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGateway({ NS_JWT_SECRET: SECRET });
  });
  afterAll(() => gw.shutdown());

  it('refuses a refresh token, a token without exp, and iat or nbf a year ahead', async () => {
    const refresh = await hs({ ...analyst, token_type: 'refresh', exp: now() + 30 * 86400 });
    expect(await historyStatus(gw, refresh)).toEqual({ status: 401, message: expect.stringMatching(/"refresh" token cannot be used for access/) as string });
    expect(await wsOutcome(gw, refresh)).toBe(4001);
    const forever = await hs({ ...analyst, iat: now() + 365 * 86400 });
    expect((await historyStatus(gw, forever)).message).toMatch(/missing required "exp"/);
    expect(await wsOutcome(gw, forever)).toBe(4001);
    expect((await historyStatus(gw, await hs({ ...analyst, exp: now() + 300, iat: now() + 365 * 86400 }))).message).toMatch(/"iat" claim is in the future/);
    expect((await historyStatus(gw, await hs({ ...analyst, exp: now() + 300, nbf: now() + 365 * 86400 }))).message).toMatch(/"nbf"/);
    expect((await historyStatus(gw, await hs({ ...analyst, token_type: 'access', exp: now() + 300 }))).status).toBe(200);
  });

  it('with NS_JWT_REQUIRE_EXP=false accepts a token without exp, but still not one issued in the future', async () => {
    const relaxed = await startGateway({ NS_JWT_SECRET: SECRET, NS_JWT_REQUIRE_EXP: 'false' });
    expect((await historyStatus(relaxed, await hs({ ...analyst, iat: now() }))).status).toBe(200);
    expect((await historyStatus(relaxed, await hs({ ...analyst, iat: now() + 365 * 86400 }))).status).toBe(401);
    await relaxed.shutdown();
  });
});

describe('key algorithms come from the keys (NS_JWT_PUBLIC_KEY_FILE)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ns-token-checks-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(stopAllGateways);

  const pairs: [string, () => { publicKey: KeyObject; privateKey: KeyObject }][] = [
    ['EdDSA', () => generateKeyPairSync('ed25519')],
    ['ES384', () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' })],
    ['RS384', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ];

  it('verifies EdDSA, ES384 and RS384 tokens against a JWKS holding keys without "alg", and the same keys as PEM', async () => {
    const keys = pairs.map(([alg, make]) => ({ alg, kid: `k-${alg}`, ...make() }));
    const jwks = { keys: await Promise.all(keys.map(async (k) => ({ ...(await exportJWK(k.publicKey)), kid: k.kid, use: 'sig' }))) };
    const jwksFile = join(dir, 'keys.json');
    writeFileSync(jwksFile, JSON.stringify(jwks));
    const gw = await startGateway({ NS_JWT_PUBLIC_KEY_FILE: jwksFile });
    for (const k of keys) {
      const token = await new SignJWT(analyst).setProtectedHeader({ alg: k.alg, kid: k.kid }).setExpirationTime('5m').sign(k.privateKey);
      expect(await historyStatus(gw, token), k.alg).toMatchObject({ status: 200 });
      const pemFile = join(dir, `${k.alg}.pem`);
      writeFileSync(pemFile, k.publicKey.export({ type: 'spki', format: 'pem' }));
      const pemGateway = await startGateway({ NS_JWT_PUBLIC_KEY_FILE: pemFile });
      expect(await historyStatus(pemGateway, token), `${k.alg} as PEM`).toMatchObject({ status: 200 });
      await pemGateway.shutdown();
    }
    // A token signed with another algorithm than its key's is still refused (RS256 header, RSA key allows it, wrong key).
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await new SignJWT(analyst).setProtectedHeader({ alg: 'RS384', kid: 'k-RS384' }).setExpirationTime('5m').sign(stranger.privateKey);
    expect((await historyStatus(gw, forged)).status).toBe(401);
  });

  it('refuses to start with a JWKS key it cannot use, naming the key', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', kid: 'p256', alg: 'ES384' }] }));
    await expect(startGateway({ NS_JWT_PUBLIC_KEY_FILE: file })).rejects.toThrow(/NS_JWT_PUBLIC_KEY_FILE: .*keys\[0\] \(kid "p256"\): "alg": "ES384" does not fit a EC P-256 key/);
  });
});

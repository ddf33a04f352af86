import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type GatewayProcess, startGateway, stopAllGateways, TestClient } from '@ns/testkit';
import { SignJWT } from 'jose';
import { connected, historyStatus, revoke, SECRET, token } from './support/revocation.js';

let gw: GatewayProcess;
const tokens: string[] = [];
const KEY = 'audit-publish-key-0123456789';

/** Every audit entry the gateway wrote so far (JSON lines on stdout whose logger name is `audit`). */
function auditLines(): Record<string, any>[] {
  return gw
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>)
    .filter((l) => l.name === 'audit')
    .map((l) => l.audit);
}

async function expectAudit(match: Record<string, unknown>): Promise<void> {
  const matcher = expect.objectContaining(match);
  await eventually(`audit line ${JSON.stringify(match)}`, () => auditLines().some((l) => { try { expect(l).toEqual(matcher); return true; } catch { return false; } }));
}

/** A token kept in `tokens`, so the test can check that none of them reaches the log. */
async function kept(p: Promise<{ token: string; jti: string; exp: number }>) {
  const t = await p;
  tokens.push(t.token);
  return t;
}

beforeAll(async () => {
  // NS_LOG_LEVEL=warn (the test kit's default): audit lines are written whatever the log level.
  gw = await startGateway({ NS_JWT_SECRET: SECRET, NS_PUBLISH_KEYS: KEY });
});
afterAll(async () => {
  await stopAllGateways();
});

describe('audit log', () => {
  it('writes one line per HTTP auth failure, permission denial, admin action and revocation — never a token', async () => {
    const garbage = 'eyJhbGciOiJIUzI1NiJ9.not-a-payload.sig-0123456789';
    tokens.push(garbage);
    expect((await historyStatus(gw, garbage)).status).toBe(401);
    await expectAudit({ event: 'auth_failed', outcome: 'refused', transport: 'http', action: 'GET /v1/channels/:channel/history', sub: null, jti: null, claimed: true, ip: '127.0.0.1' });

    const expired = await new SignJWT({ roles: ['analyst'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory').setJti('exp-1').setExpirationTime(Math.floor(Date.now() / 1000) - 5).sign(new TextEncoder().encode(SECRET));
    tokens.push(expired);
    expect((await historyStatus(gw, expired)).status).toBe(401);
    await expectAudit({ event: 'auth_failed', transport: 'http', sub: 'mallory', jti: 'exp-1', claimed: true, reason: 'token has expired' });

    const analyst = await kept(token('ann'));
    const publish = await fetch(`${gw.url}/v1/publish`, { method: 'POST', headers: { authorization: `Bearer ${analyst.token}` }, body: '{}' });
    expect(publish.status).toBe(403);
    await expectAudit({ event: 'permission_denied', transport: 'http', action: 'POST /v1/publish', sub: 'ann', jti: analyst.jti, reason: 'publishing requires the write:events permission' });
    expect((await revoke(gw, analyst.token, { user: 'bob' })).status).toBe(403);
    await expectAudit({ event: 'permission_denied', action: 'POST /v1/revocations', sub: 'ann', jti: analyst.jti, reason: 'this action requires the admin permission' });

    const admin = await kept(token('root', { roles: ['admin'] }));
    expect((await revoke(gw, admin.token, { jti: 'stolen-1' })).status).toBe(201);
    await expectAudit({ event: 'revocation', outcome: 'ok', action: 'POST /v1/revocations', sub: 'root', jti: admin.jti, ip: '127.0.0.1', target: expect.objectContaining({ jti: 'stolen-1' }) });
    expect((await revoke(gw, admin.token, { jti: 'x', expires_at: 1 })).status).toBe(400);
    await expectAudit({ event: 'revocation', outcome: 'refused', sub: 'root', reason: expect.stringMatching(/^expires_at/) });
    expect((await fetch(`${gw.url}/v1/revocations`, { headers: { authorization: `Bearer ${admin.token}` } })).status).toBe(200);
    await expectAudit({ event: 'admin_action', outcome: 'ok', action: 'GET /v1/revocations', sub: 'root', jti: admin.jti });
    // Every admin route is audited, the connections API too.
    const disconnect = await fetch(`${gw.url}/v1/disconnects`, { method: 'POST', headers: { authorization: `Bearer ${admin.token}` }, body: JSON.stringify({ user: 'nobody', reason: 'audit test' }) });
    expect(disconnect.status).toBe(200);
    await expectAudit({ event: 'admin_action', outcome: 'ok', action: 'POST /v1/disconnects', sub: 'root', jti: admin.jti, target: { user: 'nobody' }, status: 200 });
  });

  it('writes one line per WebSocket auth failure (connect, auth, refresh), subscribe denial and revocation close', async () => {
    const bad = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJldmUiLCJqdGkiOiJmYWtlIn0.forged-signature';
    tokens.push(bad);
    const atConnect = await TestClient.connect(gw.wsUrl, { headers: { authorization: `Bearer ${bad}` } });
    expect((await atConnect.closed).code).toBe(4001);
    await expectAudit({ event: 'auth_failed', transport: 'ws', action: 'connect', sub: 'eve', jti: 'fake', claimed: true, ip: '127.0.0.1', connection_id: expect.any(String) });

    const anonymous = await TestClient.open(gw.wsUrl);
    anonymous.send({ type: 'auth', id: 'a', token: bad });
    expect((await anonymous.closed).code).toBe(4001);
    await expectAudit({ event: 'auth_failed', transport: 'ws', action: 'auth', sub: 'eve', claimed: true });

    const nobody = await kept(token('nina', { roles: [], permissions: [] }));
    const denied = await connected(gw, (await kept(token('nina'))).token);
    const limited = await TestClient.open(gw.wsUrl, { headers: { authorization: `Bearer ${nobody.token}` } });
    expect(await limited.subscribe('threats')).toMatchObject({ type: 'error', code: 'forbidden' });
    await expectAudit({ event: 'permission_denied', transport: 'ws', action: 'subscribe', channel: 'threats', sub: 'nina', jti: nobody.jti, reason: 'channel threats requires read:events' });

    const admin = await kept(token('root', { roles: ['admin'] }));
    const victim = await kept(token('vic'));
    const live = await connected(gw, victim.token);
    expect((await revoke(gw, admin.token, { jti: victim.jti })).status).toBe(201);
    expect((await live.closed).code).toBe(4001);
    await expectAudit({ event: 'revoked', outcome: 'ok', transport: 'ws', action: 'close', sub: 'vic', jti: victim.jti });
    // A refresh with the revoked token on a valid session.
    expect(await denied.request({ type: 'auth', id: 'r', token: victim.token })).toMatchObject({ type: 'error', code: 'unauthorized' });
    await expectAudit({ event: 'auth_failed', transport: 'ws', action: 'refresh', sub: 'vic', jti: victim.jti, reason: 'token has been revoked' });
    for (const c of [denied, limited]) c.ws.terminate();
  });

  it('never writes a token, or the secret, anywhere in its output', () => {
    const output = gw.output();
    expect(tokens.length).toBeGreaterThan(5);
    for (const t of tokens) {
      expect(output).not.toContain(t);
      // Nor its signature alone.
      expect(output).not.toContain(t.split('.')[2]);
    }
    expect(output).not.toContain(SECRET);
    expect(auditLines().length).toBeGreaterThanOrEqual(12);
  });
});

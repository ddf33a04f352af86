import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, runCli, startGateway, stopAllGateways, TestClient } from '@ns/testkit';
import { hasRedisServer, startRedisGateway, startRedisServer, uniquePrefix, type TestRedisServer } from './support/redis-gateways.js';
import { connected, connectedByAuth, historyStatus, refusedAtAuth, refusedAtConnect, revoke, SECRET, token } from './support/revocation.js';

const sockets: TestClient[] = [];
const track = (c: TestClient): TestClient => (sockets.push(c), c);
const REVOKED = { code: 4001, reason: 'token_revoked' };
const revokedError = { type: 'error', code: 'unauthorized', message: 'token has been revoked; reconnect with a new token' };

afterEach(() => {
  for (const s of sockets.splice(0)) s.ws.terminate();
});

/** Milliseconds from `t0` until `c` closes, with how it closed. */
const closedAfter = (c: TestClient, t0: () => number) => c.closed.then((close) => ({ ms: Date.now() - t0(), close }));

/** Every way a revoked token could get back in is refused, on `gw`. */
async function expectRefusedEverywhere(gw: GatewayProcess, t: string): Promise<void> {
  expect(await refusedAtConnect(gw, t)).toEqual({ error: expect.objectContaining({ code: 'unauthorized', message: 'token has been revoked' }), close: { code: 4001, reason: 'unauthorized' } });
  expect(await refusedAtAuth(gw, t)).toEqual({ error: expect.objectContaining({ code: 'unauthorized', message: 'token has been revoked' }), close: { code: 4001, reason: 'unauthorized' } });
  const http = await historyStatus(gw, t);
  expect([http.status, http.json.error.code, http.json.error.message]).toEqual([401, 'unauthorized', 'token has been revoked']);
}

describe.runIf(hasRedisServer)('revocation across two gateways sharing a redis-server', () => {
  let redis: TestRedisServer;
  let prefix: string;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let admin: string;
  const env = () => ({ NS_AUTH: 'jwt', NS_JWT_SECRET: SECRET, NS_LOG_LEVEL: 'warn' });
  const startBoth = async () => {
    [a, b] = await Promise.all([startRedisGateway(redis.url, prefix, env()), startRedisGateway(redis.url, prefix, env())]);
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    prefix = uniquePrefix();
    await startBoth();
    admin = (await token('root', { roles: ['admin'] })).token;
  });
  afterAll(async () => {
    await stopAllGateways();
    await redis.close();
  });

  it('closes every live connection holding a revoked jti, on both instances, and refuses it everywhere after', { timeout: 60_000 }, async () => {
    const victim = await token('alice');
    const other = await token('alice');
    const onA = track(await connected(a, victim.token));
    const onB = track(await connectedByAuth(b, victim.token));
    const bystander = track(await connected(b, other.token));
    let t0 = 0;
    const closes = [closedAfter(onA, () => t0), closedAfter(onB, () => t0)];
    t0 = Date.now();
    const res = await revoke(a, admin, { jti: victim.jti, expires_at: victim.exp });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ jti: victim.jti, expires_at: victim.exp, by: 'root' });
    const [closedA, closedB] = await Promise.all(closes);
    console.log(`revocation (redis): connection on A closed ${closedA?.ms} ms, on B ${closedB?.ms} ms after POST /v1/revocations was sent`);
    expect([closedA?.close, closedB?.close]).toEqual([REVOKED, REVOKED]);
    for (const c of [onA, onB]) expect(c.messages.at(-1)).toMatchObject(revokedError);
    // Another token of the same user is not this token.
    expect(bystander.ws.readyState).toBe(bystander.ws.OPEN);
    expect((await bystander.request({ type: 'ping', id: 'p' })).type).toBe('pong');
    // A refresh with the revoked token fails and leaves the valid session alone.
    expect(await bystander.request({ type: 'auth', id: 'r', token: victim.token })).toMatchObject({ type: 'error', code: 'unauthorized', message: 'token has been revoked' });
    expect((await bystander.request({ type: 'ping', id: 'p2' })).type).toBe('pong');
    for (const gw of [a, b]) await expectRefusedEverywhere(gw, victim.token);
  });

  it('revokes a user\'s tokens issued before issued_before and spares those issued later', { timeout: 60_000 }, async () => {
    const now = Math.floor(Date.now() / 1000);
    const old = await token('bob', { iat: now - 120 });
    const fresh = await token('bob', { iat: now - 10 });
    const oldOnA = track(await connected(a, old.token));
    const oldOnB = track(await connectedByAuth(b, old.token));
    const freshOnB = track(await connected(b, fresh.token));
    let t0 = 0;
    const closes = [closedAfter(oldOnA, () => t0), closedAfter(oldOnB, () => t0)];
    t0 = Date.now();
    const res = await revoke(b, admin, { user: 'bob', issued_before: now - 60 });
    expect(res.status).toBe(201);
    const [closedA, closedB] = await Promise.all(closes);
    console.log(`revocation (redis, user): A ${closedA?.ms} ms, B ${closedB?.ms} ms`);
    expect([closedA?.close, closedB?.close]).toEqual([REVOKED, REVOKED]);
    expect((await freshOnB.request({ type: 'ping', id: 'p' })).type).toBe('pong');
    expect((await historyStatus(a, fresh.token)).status).toBe(200);
    track(await connected(a, fresh.token));
    for (const gw of [a, b]) await expectRefusedEverywhere(gw, old.token);
  });

  it('keeps revocations across a restart of both gateways', { timeout: 90_000 }, async () => {
    const gone = await token('carol');
    const user = await token('dave', { iat: Math.floor(Date.now() / 1000) - 5 });
    expect((await revoke(a, admin, { jti: gone.jti, expires_at: gone.exp })).status).toBe(201);
    expect((await revoke(b, admin, { user: 'dave' })).status).toBe(201);
    await Promise.all([a.stop(), b.stop()]);
    await startBoth();
    for (const gw of [a, b]) {
      await expectRefusedEverywhere(gw, gone.token);
      await expectRefusedEverywhere(gw, user.token);
    }
    const list = await fetch(`${b.url}/v1/revocations`, { headers: { authorization: `Bearer ${admin}` } });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { max: number; revocations: unknown[] };
    expect(body.max).toBe(10_000);
    expect(body.revocations).toEqual(expect.arrayContaining([expect.objectContaining({ jti: gone.jti }), expect.objectContaining({ user: 'dave' })]));
    // Tokens issued after the user revocation still work after the restart.
    expect((await historyStatus(a, (await token('dave', { iat: Math.floor(Date.now() / 1000) + 1 })).token)).status).toBe(200);
  });
});

describe('revocation on the memory engine', () => {
  let gw: GatewayProcess;
  let admin: string;

  beforeAll(async () => {
    gw = await startGateway({ NS_JWT_SECRET: SECRET, NS_MAX_REVOCATIONS: '3' });
    admin = (await token('root', { roles: ['admin'] })).token;
  });
  afterAll(async () => {
    await stopAllGateways();
  });

  it('closes live connections at once and refuses the token at connect, auth, refresh and on HTTP', async () => {
    const victim = await token('erin');
    const byHeader = track(await connected(gw, victim.token));
    const byAuth = track(await connectedByAuth(gw, victim.token));
    let t0 = 0;
    const closes = [closedAfter(byHeader, () => t0), closedAfter(byAuth, () => t0)];
    t0 = Date.now();
    expect((await revoke(gw, admin, { jti: victim.jti })).status).toBe(201);
    const closed = await Promise.all(closes);
    console.log(`revocation (memory): closed ${closed.map((c) => c.ms).join(' ms, ')} ms after the POST was sent`);
    expect(closed.map((c) => c.close)).toEqual([REVOKED, REVOKED]);
    await expectRefusedEverywhere(gw, victim.token);
    const user = await token('frank', { iat: Math.floor(Date.now() / 1000) - 30 });
    const userConn = track(await connected(gw, user.token));
    expect((await revoke(gw, admin, { user: 'frank' })).status).toBe(201);
    expect(await userConn.closed).toEqual(REVOKED);
    await expectRefusedEverywhere(gw, user.token);
  });

  it('answers 403 to non-admins, 400 naming the field to bad bodies, and 429 naming the limit past NS_MAX_REVOCATIONS', async () => {
    const analyst = (await token('gina')).token;
    const denied = await revoke(gw, analyst, { jti: 'x' });
    expect([denied.status, denied.json.error.code]).toEqual([403, 'forbidden']);
    expect((await fetch(`${gw.url}/v1/revocations`, { headers: { authorization: `Bearer ${analyst}` } })).status).toBe(403);
    const bad = await revoke(gw, admin, { jti: 'x', user: 'y' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/expected \{jti, expires_at\?\} or \{user, issued_before\?\}/);
    const past = await revoke(gw, admin, { jti: 'x', expires_at: Date.now() / 1000 - 10 });
    expect([past.status, past.json.error.message]).toEqual([400, 'expires_at: the token has expired already; there is nothing to revoke']);
    // Two are active from the previous test; one more fills the limit of 3.
    expect((await revoke(gw, admin, { jti: 'third' })).status).toBe(201);
    const full = await revoke(gw, admin, { jti: 'fourth' });
    expect([full.status, full.json.error.code]).toEqual([429, 'rate_limited']);
    expect(full.json.error.message).toMatch(/at most 3 revocations may be active \(NS_MAX_REVOCATIONS\)/);
    // Repeating an active one replaces it and is not refused.
    expect((await revoke(gw, admin, { jti: 'third' })).status).toBe(201);
    const list = (await (await fetch(`${gw.url}/v1/revocations`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { max: number; revocations: unknown[] };
    expect(list.revocations).toHaveLength(3);
    expect(list.max).toBe(3);
  });
});

describe('ns-gateway revoke', () => {
  let gw: GatewayProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    gw = await startGateway({ NS_JWT_SECRET: SECRET });
    env = { NS_GATEWAY_URL: gw.url, NS_GATEWAY_TOKEN: (await token('root', { roles: ['admin'] })).token };
  });
  afterAll(async () => {
    await stopAllGateways();
  });

  it('revokes a token by --jti and a user by --user --before, closing live connections', async () => {
    const victim = await token('ivy');
    const live = track(await connected(gw, victim.token));
    const byJti = await runCli(['revoke', '--jti', victim.jti, '--expires-at', new Date(victim.exp * 1000).toISOString()], env);
    expect(byJti.stderr).toBe('');
    expect([byJti.code, byJti.stdout]).toEqual([0, `revoked token ${victim.jti}; refused on every instance until ${new Date(victim.exp * 1000).toISOString().replace('.000Z', 'Z')}\n`]);
    expect(await live.closed).toEqual(REVOKED);

    const now = Math.floor(Date.now() / 1000);
    const old = await token('jay', { iat: now - 100 });
    const fresh = await token('jay', { iat: now - 5 });
    const oldConn = track(await connected(gw, old.token));
    const freshConn = track(await connected(gw, fresh.token));
    const byUser = await runCli(['revoke', '--user', 'jay', '--before', String(now - 50), '--json'], env);
    expect(byUser.code).toBe(0);
    expect(JSON.parse(byUser.stdout)).toMatchObject({ user: 'jay', issued_before: now - 50, by: 'root' });
    expect(await oldConn.closed).toEqual(REVOKED);
    expect((await freshConn.request({ type: 'ping', id: 'p' })).type).toBe('pong');
  });

  it('exits 2 naming the options on misuse, 3 without an admin token', async () => {
    const both = await runCli(['revoke', '--jti', 'x', '--user', 'y'], env);
    expect([both.code, both.stderr]).toEqual([2, expect.stringContaining('revoke takes exactly one of --jti <token id> or --user <user>')]);
    const badTime = await runCli(['revoke', '--user', 'y', '--before', 'yesterday'], env);
    expect([badTime.code, badTime.stderr]).toEqual([2, expect.stringContaining('--before must be Unix seconds or an ISO 8601 time')]);
    const analyst = await runCli(['revoke', '--user', 'y'], { ...env, NS_GATEWAY_TOKEN: (await token('ann')).token });
    expect([analyst.code, analyst.stderr]).toEqual([3, expect.stringContaining('403: this action requires the admin permission')]);
  });
});

import { CLOSE_CODES, NsError } from '@ns/contracts';
import { closeAfterEach } from '@ns/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { SECRET, TestClient, startEndpoint, threat, token, type EndpointServer } from '../test/harness.js';
import type { Authenticator } from './authenticator.js';
import { jwtAuthenticator } from './jwt-authenticator.js';

let server: EndpointServer | undefined;
const jwt = jwtAuthenticator({ secret: SECRET });
const now = () => Math.floor(Date.now() / 1000);

async function start(options: Parameters<typeof startEndpoint>[0] = {}): Promise<EndpointServer> {
  server = await startEndpoint({ authenticator: jwt, ...options });
  return server;
}

function client(url: string, options?: ConstructorParameters<typeof TestClient>[1]): TestClient {
  return track(new TestClient(url, options));
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});
// After the server's hook: hooks run in stack order, so the clients close first.
const track = closeAfterEach<TestClient>();

describe('authentication', () => {
  it('accepts a valid token from the Authorization header and names the principal in welcome', async () => {
    const s = await start();
    const c = client(s.url, { headers: { Authorization: `Bearer ${await token({ username: 'alice' })}` } });
    const welcome = await c.next((m) => m.type === 'welcome');
    expect(welcome.principal).toEqual({ id: 'u_1', username: 'alice', roles: ['analyst'], permissions: ['read:events', 'read:alerts', 'write:alerts'] });
    expect(await c.request({ type: 'subscribe', id: 's', channel: 'alerts' })).toMatchObject({ type: 'subscribed' });
  });

  it('accepts a valid token from ?token=', async () => {
    const s = await start();
    const c = client(`${s.url}?token=${await token()}`);
    expect((await c.next((m) => m.type === 'welcome')).principal).toMatchObject({ id: 'u_1' });
  });

  it('accepts a first-message auth and replies authenticated with the expiry', async () => {
    const s = await start();
    const c = client(s.url);
    expect((await c.next((m) => m.type === 'welcome')).principal).toBeNull();
    const exp = now() + 3600;
    const reply = await c.request({ type: 'auth', id: 'a', token: await token({ exp }) });
    expect(reply).toMatchObject({ type: 'authenticated', id: 'a', principal: { id: 'u_1' }, expires_at: exp });
    expect(await c.request({ type: 'subscribe', id: 's', channel: 'threats' })).toMatchObject({ type: 'subscribed' });
  });

  it('subscribes ?subscribe= channels once the first-message auth succeeds', async () => {
    const s = await start();
    const c = client(`${s.url}?subscribe=threats`);
    await c.next((m) => m.type === 'welcome');
    c.send({ type: 'auth', token: await token() });
    expect(await c.next((m) => m.type === 'subscribed')).toMatchObject({ channel: 'threats' });
  });

  it('closes with 4001 after token_expired for an expired token', async () => {
    const s = await start();
    const c = client(s.url, { headers: { Authorization: `Bearer ${await token({ exp: now() - 10 })}` } });
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'token_expired' });
    expect(await c.closed).toEqual({ code: CLOSE_CODES.UNAUTHORIZED, reason: 'token_expired' });
    expect(c.messages.some((m) => m.type === 'welcome')).toBe(false);
    expect(s.endpoint.stats().authFailures).toBe(1);
  });

  it('closes with 4001 after unauthorized for a token with a wrong signature', async () => {
    const s = await start();
    const c = client(s.url);
    await c.next((m) => m.type === 'welcome');
    const reply = await c.request({ type: 'auth', id: 'a', token: await token({}, 'another-secret-another-secret-123') });
    expect(reply).toMatchObject({ type: 'error', id: 'a', code: 'unauthorized' });
    expect((await c.closed).code).toBe(CLOSE_CODES.UNAUTHORIZED);
  });

  it('answers forbidden for a channel the token does not grant', async () => {
    const s = await start();
    const c = client(s.url, { headers: { Authorization: `Bearer ${await token({ roles: [], permissions: ['read:events'] })}` } });
    await c.next((m) => m.type === 'welcome');
    expect(await c.request({ type: 'subscribe', id: 's', channel: 'alerts' })).toMatchObject({ type: 'error', code: 'forbidden', id: 's' });
    expect(await c.request({ type: 'subscribe', id: 't', channel: 'threats' })).toMatchObject({ type: 'subscribed' });
  });

  it('sends auth_expiring before expiry and keeps a connection that refreshes its token', async () => {
    const s = await start({ expiryNoticeS: 30 });
    const exp = Date.now() / 1000 + 1;
    const c = client(s.url, { headers: { Authorization: `Bearer ${await token({ exp })}` } });
    expect(await c.next((m) => m.type === 'auth_expiring')).toEqual({ type: 'auth_expiring', expires_at: exp });
    const later = now() + 3600;
    expect(await c.request({ type: 'auth', id: 'r', token: await token({ exp: later }) })).toMatchObject({ type: 'authenticated', expires_at: later });
    // Past the first token's expiry the connection is still served.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 100));
    expect(await c.request({ type: 'ping', id: 'p' })).toMatchObject({ type: 'pong' });
    expect(c.messages.some((m) => m.code === 'token_expired')).toBe(false);
  });

  it('closes with 4001 when the token expires without a refresh', async () => {
    const s = await start();
    const c = client(s.url, { headers: { Authorization: `Bearer ${await token({ exp: Date.now() / 1000 + 0.5 })}` } });
    await c.next((m) => m.type === 'auth_expiring');
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'token_expired' });
    expect(await c.closed).toEqual({ code: CLOSE_CODES.UNAUTHORIZED, reason: 'token_expired' });
  });

  it('keeps the session when a refresh fails, answering unauthorized', async () => {
    const s = await start();
    const c = client(s.url, { headers: { Authorization: `Bearer ${await token()}` } });
    await c.next((m) => m.type === 'welcome');
    expect(await c.request({ type: 'auth', id: 'r', token: 'garbage' })).toMatchObject({ type: 'error', code: 'unauthorized' });
    expect(await c.request({ type: 'ping', id: 'p' })).toMatchObject({ type: 'pong' });
  });

  it('closes with 4003 when a refresh names a different principal', async () => {
    const s = await start();
    const c = client(s.url, { headers: { Authorization: `Bearer ${await token()}` } });
    await c.next((m) => m.type === 'welcome');
    expect(await c.request({ type: 'auth', id: 'r', token: await token({ sub: 'mallory' }) })).toMatchObject({ code: 'forbidden' });
    expect((await c.closed).code).toBe(CLOSE_CODES.FORBIDDEN);
  });

  it('drops subscriptions a refreshed token no longer grants', async () => {
    const s = await start();
    const c = client(`${s.url}?subscribe=alerts,threats`, { headers: { Authorization: `Bearer ${await token()}` } });
    await c.next((m) => m.type === 'subscribed' && m.channel === 'threats');
    await c.request({ type: 'auth', id: 'r', token: await token({ roles: [], permissions: ['read:events'] }) });
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'forbidden', details: { channel: 'alerts' } });
    expect(s.manager.stats().subscriptions).toMatchObject({ alerts: 0, threats: 1 });
  });

  it('closes with 4001 when no auth arrives within the auth timeout', async () => {
    const s = await start({ authTimeoutMs: 50 });
    const c = client(s.url);
    await c.next((m) => m.type === 'welcome');
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'unauthorized' });
    expect(await c.closed).toEqual({ code: CLOSE_CODES.UNAUTHORIZED, reason: 'auth timeout' });
  });

  it('bounds a verification that never finishes with the auth timeout', async () => {
    const hanging: Authenticator = { verify: () => new Promise(() => {}) };
    const s = await start({ authenticator: hanging, authTimeoutMs: 50 });
    const c = client(`${s.url}?token=abc`);
    expect((await c.closed).code).toBe(CLOSE_CODES.UNAUTHORIZED);
  });

  it('refuses every channel before authentication when anonymous access is off', async () => {
    const s = await start();
    const c = client(`${s.url}?subscribe=status`);
    await c.next((m) => m.type === 'welcome');
    expect(await c.request({ type: 'subscribe', id: 's', channel: 'status' })).toMatchObject({ type: 'error', code: 'unauthorized' });
    // The ?subscribe= of an unauthenticated connection waits for auth instead of failing.
    expect(c.messages.filter((m) => m.type === 'error')).toHaveLength(1);
    expect(await c.request({ type: 'ping', id: 'p' })).toMatchObject({ type: 'pong' });
  });

  it('lets anonymous connections read only permission-free channels when enabled', async () => {
    const s = await start({ allowAnonymous: true });
    const c = client(`${s.url}?subscribe=status,threats`);
    expect((await c.next((m) => m.type === 'welcome')).principal).toBeNull();
    await c.next((m) => m.type === 'error');
    expect(c.messages.find((m) => m.type === 'subscribed')).toMatchObject({ channel: 'status' });
    expect(c.messages.find((m) => m.type === 'error')).toMatchObject({ code: 'unauthorized', details: { channel: 'threats' } });
    expect(await c.request({ type: 'subscribe', id: 'y', channel: 'system' })).toMatchObject({ type: 'subscribed' });
    // Authenticating later upgrades the same connection.
    await c.request({ type: 'auth', id: 'a', token: await token() });
    expect(await c.request({ type: 'subscribe', id: 't', channel: 'threats' })).toMatchObject({ type: 'subscribed' });
  });

  it('treats every connection as fully permitted when auth is disabled', async () => {
    const s = await start({ authenticator: null });
    const c = client(`${s.url}?subscribe=alerts`);
    expect((await c.next((m) => m.type === 'welcome')).principal).toMatchObject({ id: 'auth-disabled', permissions: expect.arrayContaining(['admin']) });
    expect(await c.request({ type: 'auth', id: 'a', token: 'anything' })).toMatchObject({ type: 'authenticated', expires_at: null });
    await c.next((m) => m.type === 'subscribed');
    await s.bus.publish(threat(1));
  });

  it('maps an authenticator crash to internal and closes with 1011', async () => {
    const broken: Authenticator = {
      verify: () => {
        throw new TypeError('boom');
      },
    };
    const s = await start({ authenticator: broken });
    const c = client(`${s.url}?token=abc`);
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'internal' });
    expect((await c.closed).code).toBe(CLOSE_CODES.INTERNAL);
  });

  it('passes through the unauthorized message of a custom authenticator', async () => {
    const custom: Authenticator = { verify: () => Promise.reject(new NsError('unauthorized', 'api key revoked')) };
    const s = await start({ authenticator: custom });
    const c = client(s.url, { headers: { Authorization: 'Bearer k' } });
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'unauthorized', message: 'api key revoked' });
  });
});

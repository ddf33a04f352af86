import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type GatewayProcess, startGateway, stopAllGateways, TestClient } from '@ns/testkit';
import { responseContractViolation } from './support/http-contract.js';

// Presence and the admin API on one gateway process (memory engine): counts on /v1/channels and
// /metrics, the user list, the connection listing, disconnects, and who may call them.

const SECRET = 'presence-test-secret-0123456789abcdef0123';
const token = (sub: string, roles: string[], username?: string) =>
  new SignJWT({ roles, ...(username !== undefined && { username }) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));

let gw: GatewayProcess;
let admin: string;
let analyst: string;
const sockets: TestClient[] = [];

/** A request whose response must keep the OpenAPI contract; resolves with status and JSON body. */
async function call(method: string, path: string, jwt?: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { ...(jwt === undefined ? {} : { authorization: `Bearer ${jwt}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const violation = responseContractViolation(method, path, res.status, res.headers.get('content-type') ?? '', text);
  expect(violation).toBeNull();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

async function connect(jwt: string | undefined, ...channels: string[]): Promise<TestClient> {
  const c = await TestClient.open(gw.wsUrl, jwt === undefined ? {} : { headers: { authorization: `Bearer ${jwt}` } });
  sockets.push(c);
  for (const ch of channels) expect((await c.subscribe(ch)).type).toBe('subscribed');
  return c;
}

const channelRow = async (name: string) => ((await call('GET', '/v1/channels')).json.channels as any[]).find((c) => c.name === name);

beforeAll(async () => {
  gw = await startGateway({ NS_JWT_SECRET: SECRET });
  admin = await token('u_admin', ['admin'], 'root');
  analyst = await token('u_ana', ['analyst'], 'ana');
});
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await stopAllGateways();
});

describe('presence (memory engine: this process)', () => {
  it('counts connections and distinct users per channel on /v1/channels and /metrics, and updates as clients come and go', async () => {
    const alice = await token('u_alice', ['analyst'], 'alice');
    const a1 = await connect(alice, 'threats');
    await connect(alice, 'threats', 'alerts');
    await connect(await token('u_bob', ['viewer'], 'bob'), 'threats');
    await connect(undefined, 'status');
    expect(await channelRow('threats')).toMatchObject({ subscribers: 3, users: 2 });
    expect(await channelRow('alerts')).toMatchObject({ subscribers: 1, users: 1 });
    // Anonymous connections are connections, not users.
    expect(await channelRow('status')).toMatchObject({ subscribers: 1, users: 0 });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/^ns_presence_connections\{channel="threats"\} 3$/m);
    expect(metrics).toMatch(/^ns_presence_users\{channel="threats"\} 2$/m);

    await a1.close();
    await eventually('alice\'s first connection is gone from the counts', async () => (await channelRow('threats')).subscribers === 2);
    expect(await channelRow('threats')).toMatchObject({ subscribers: 2, users: 2 });
  });

  it('lists a channel\'s users with connection count and since-when for admins only: 401 anonymous, 403 analyst', async () => {
    const alice = await token('u_alice', ['analyst'], 'alice');
    const before = Date.now() / 1000 - 1;
    await connect(alice, 'threats');
    await connect(alice, 'threats');
    await connect(undefined, 'system');
    expect((await call('GET', '/v1/presence/threats')).status).toBe(401);
    const refused = await call('GET', '/v1/presence/threats', analyst);
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('forbidden');
    const res = await call('GET', '/v1/presence/threats', admin);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ channel: 'threats', connections: 2, users: 1, truncated: false, members: [{ user: 'u_alice', username: 'alice', connections: 2 }] });
    expect(res.json.members[0].since).toBeGreaterThanOrEqual(before);
    expect(res.json.members[0].since).toBeLessThanOrEqual(Date.now() / 1000);
    expect((await call('GET', '/v1/presence/system', admin)).json).toMatchObject({ connections: 1, users: 0, members: [{ user: null, connections: 1 }] });
    expect((await call('GET', '/v1/presence/nope', admin)).status).toBe(404);
  });

  it('lists connections for admins: id, user, address, channels, queued bytes, since, instance, transport', async () => {
    const bob = await token('u_bob', ['viewer'], 'bob');
    const c = await connect(bob, 'threats', 'alerts');
    const id = (c.messages.find((m) => m.type === 'welcome') as any).connection_id;
    expect((await call('GET', '/v1/connections')).status).toBe(401);
    expect((await call('GET', '/v1/connections', analyst)).status).toBe(403);
    const res = await call('GET', '/v1/connections?user=u_bob', admin);
    expect(res.status).toBe(200);
    expect(res.json.instances).toHaveLength(1);
    expect(res.json.connections).toEqual([
      {
        id,
        user: 'u_bob',
        username: 'bob',
        remote_address: '127.0.0.1',
        channels: ['threats', 'alerts'],
        queued_bytes: 0,
        connected_at: expect.any(Number),
        instance: res.json.instances[0],
        transport: 'websocket',
      },
    ]);
    const bad = await call('GET', '/v1/connections?limit=0', admin);
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/limit/);
  });

  it('closes one connection by id, or every connection of a user, with 4003 and the reason', async () => {
    const carol = await token('u_carol', ['viewer'], 'carol');
    const c1 = await connect(carol, 'threats');
    const c2 = await connect(carol, 'status');
    const other = await connect(analyst, 'threats');
    const id1 = (c1.messages.find((m) => m.type === 'welcome') as any).connection_id;

    expect((await call('DELETE', `/v1/connections/${id1}`, analyst)).status).toBe(403);
    const one = await call('DELETE', `/v1/connections/${id1}?reason=${encodeURIComponent('shift over')}`, admin);
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ disconnected: [{ id: id1, user: 'u_carol' }], code: 4003, reason: 'disconnected by an administrator: shift over' });
    expect(await c1.closed).toEqual({ code: 4003, reason: 'disconnected by an administrator: shift over' });
    expect((await call('DELETE', `/v1/connections/${id1}`, admin)).json.error.code).toBe('not_found');

    const c3 = await connect(carol, 'alerts');
    expect((await call('POST', '/v1/disconnects', undefined, { user: 'u_carol' })).status).toBe(401);
    const all = await call('POST', '/v1/disconnects', admin, { user: 'u_carol', reason: 'laptop stolen' });
    expect(all.status).toBe(200);
    expect(all.json.disconnected).toHaveLength(2);
    for (const c of [c2, c3]) expect(await c.closed).toEqual({ code: 4003, reason: 'disconnected by an administrator: laptop stolen' });
    expect(other.ws.readyState).toBe(other.ws.OPEN);
    expect((await call('POST', '/v1/disconnects', admin, { user: 'u_nobody' })).json).toMatchObject({ disconnected: [] });
  });

  it('refuses bad admin input with an error naming the field', async () => {
    const missing = await call('POST', '/v1/disconnects', admin, { reason: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.json.error.issues[0].path).toBe('user');
    const long = await call('POST', '/v1/disconnects', admin, { user: 'u_x', reason: 'r'.repeat(81) });
    expect(long.status).toBe(400);
    expect(long.json.error.issues[0].path).toBe('reason');
    const extra = await call('POST', '/v1/disconnects', admin, { user: 'u_x', all: true });
    expect(extra.status).toBe(400);
    const badId = await call('DELETE', `/v1/connections/${encodeURIComponent('c x')}`, admin);
    expect(badId.status).toBe(400);
    expect(badId.json.error.issues[0].path).toBe('id');
  });
});

import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, startRedisCluster, stopAllGateways, TestClient, type TestRedisCluster } from '@ns/testkit';
import { hasRedisServer, redisCommand, startRedisGateway, startRedisServer, uniquePrefix, until, type TestRedisServer } from './support/redis-gateways.js';

// Presence across two gateway processes sharing a private redis-server (and, for the counts, a private
// 3-master Redis Cluster): cluster-wide counts, the listing of every instance's connections, and the
// entries of a SIGKILLed instance expiring by themselves within their TTL (5 s).

const SECRET = 'presence-redis-secret-0123456789abcdef0123';
const token = (sub: string, roles: string[]) =>
  new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));

let redis: TestRedisServer;
let prefix: string;
let a: GatewayProcess;
let b: GatewayProcess;
let admin: string;
const sockets: TestClient[] = [];

async function connect(gw: GatewayProcess, jwt: string, ...channels: string[]): Promise<TestClient> {
  const c = await TestClient.open(gw.wsUrl, { headers: { authorization: `Bearer ${jwt}` } });
  sockets.push(c);
  for (const ch of channels) expect((await c.subscribe(ch)).type).toBe('subscribed');
  return c;
}

async function get(gw: GatewayProcess, path: string): Promise<any> {
  const res = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${admin}` } });
  expect(res.status).toBe(200);
  return res.json();
}

const row = async (gw: GatewayProcess, name: string) => ((await get(gw, '/v1/channels')).channels as any[]).find((c) => c.name === name);

describe.skipIf(!hasRedisServer)('presence on two gateways sharing Redis', () => {
  beforeEach(async () => {
    redis = await startRedisServer();
    prefix = uniquePrefix();
    const env = { NS_AUTH: 'jwt', NS_JWT_SECRET: SECRET };
    [a, b] = await Promise.all([startRedisGateway(redis.url, prefix, env), startRedisGateway(redis.url, prefix, env)]);
    admin = await token('u_admin', ['admin']);
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.ws.terminate();
    await stopAllGateways();
    await redis.close();
  });

  it('counts connections and users across both instances, lists every instance\'s connections, and forgets a SIGKILLed instance within the TTL', () =>
    countsAcrossInstances((command, key) => redisCommand(redis, command, key), `{${prefix}presence}`));

  it('closes a user\'s connections on both instances with 4003 and the reason, and one connection by id wherever it is', async () => {
    const erin = await token('u_erin', ['viewer']);
    const onA = await connect(a, erin, 'threats');
    const onB = await connect(b, erin, 'alerts');
    const bystander = await connect(b, await token('u_frank', ['viewer']), 'threats');
    const other = await connect(b, await token('u_gina', ['viewer']), 'threats');
    await until('every connection listed on A', async () => (await get(a, '/v1/connections')).connections.length === 4);

    const res = await fetch(`${a.url}/v1/disconnects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'u_erin', reason: 'account disabled' }),
    });
    expect(res.status).toBe(200);
    const body: any = await res.json();
    expect(new Set(body.disconnected.map((c: any) => c.instance)).size).toBe(2);
    const closed = { code: 4003, reason: 'disconnected by an administrator: account disabled' };
    expect(await onA.closed).toEqual(closed);
    expect(await onB.closed).toEqual(closed);

    // One connection by id, asked of the instance that does not hold it.
    const id = (other.messages.find((m) => m.type === 'welcome') as any).connection_id;
    const one = await fetch(`${a.url}/v1/connections/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(one.status).toBe(200);
    expect(await other.closed).toEqual({ code: 4003, reason: 'disconnected by an administrator' });
    expect(bystander.ws.readyState).toBe(bystander.ws.OPEN);
  });

  it('answers 401 anonymous and 403 for an analyst on every admin route of either instance', async () => {
    const analyst = await token('u_ana', ['analyst']);
    for (const gw of [a, b]) {
      for (const [method, path] of [['GET', '/v1/presence/threats'], ['GET', '/v1/connections'], ['DELETE', '/v1/connections/c_x'], ['POST', '/v1/disconnects']] as const) {
        const body = method === 'POST' ? { body: '{"user":"u_x"}' } : {};
        const json: Record<string, string> = method === 'POST' ? { 'content-type': 'application/json' } : {};
        expect((await fetch(`${gw.url}${path}`, { method, headers: json, ...body })).status, `${method} ${path}`).toBe(401);
        expect((await fetch(`${gw.url}${path}`, { method, headers: { ...json, authorization: `Bearer ${analyst}` }, ...body })).status, `${method} ${path}`).toBe(403);
      }
    }
  });

  it('removes a gracefully stopped instance\'s entries at once', async () => {
    await connect(b, await token('u_dave', ['viewer']), 'threats');
    await until('B\'s connection counted on A', async () => (await row(a, 'threats')).subscribers === 1);
    expect(await b.stop('SIGTERM')).toBe(0);
    // No TTL to wait for: the drain deleted B's keys (A holds no connection, so it has none either).
    const keys = await redisCommand(redis, '--scan', '--pattern', `{${prefix}presence}:*`);
    expect(keys.split('\n').filter((k) => k.includes(':c:') || k.includes(':m:'))).toEqual([]);
    await until('B gone from A\'s listing', async () => (await get(a, '/v1/connections')).instances.length === 1);
  });
});

describe.skipIf(!hasRedisServer)('presence on two gateways sharing a Redis Cluster', () => {
  let cluster: TestRedisCluster;

  beforeEach(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    prefix = uniquePrefix();
    const env = { NS_AUTH: 'jwt', NS_JWT_SECRET: SECRET };
    [a, b] = await Promise.all([startRedisGateway(cluster.url, prefix, env), startRedisGateway(cluster.url, prefix, env)]);
    admin = await token('u_admin', ['admin']);
  }, 60_000);

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.ws.terminate();
    await stopAllGateways();
    await cluster?.close();
  });

  it('counts and lists across both instances, each instance\'s keys under a hash tag of its own (so instances spread over the masters), and forgets a SIGKILLed one', { timeout: 60_000 }, () =>
    // Each key is asked of the master that owns its slot: found there, it is in the slot its tag names.
    countsAcrossInstances(async (command, key) => redisCommand(await cluster.nodeFor(key), command, key), (instance) => `{${prefix}presence:${instance}}`));
});

/**
 * Alice on both instances, Bob on B: counts and listings agree on both, Bob's leaving and return show
 * up on A, and B's keys expire after a SIGKILL (`ask` sends Redis a command about one key; `tagOf` names an instance's hash tag).
 */
async function countsAcrossInstances(ask: (command: 'PTTL' | 'EXISTS', key: string) => Promise<string>, tagOf: string | ((instance: string) => string)): Promise<void> {
  const alice = await token('u_alice', ['analyst']);
  await connect(a, alice, 'threats');
  await connect(b, alice, 'threats');
  const bob = await connect(b, await token('u_bob', ['viewer']), 'threats', 'alerts');

  // Each instance sees the other's entries as of its last refresh (every second).
  for (const gw of [a, b]) {
    await until('both instances\' connections counted', async () => (await row(gw, 'threats')).subscribers === 3);
    expect(await row(gw, 'threats')).toMatchObject({ subscribers: 3, users: 2 });
    expect(await row(gw, 'alerts')).toMatchObject({ subscribers: 1, users: 1 });
  }
  const metrics = await (await fetch(`${a.url}/metrics`)).text();
  expect(metrics).toMatch(/^ns_presence_connections\{channel="threats"\} 3$/m);
  expect(metrics).toMatch(/^ns_presence_users\{channel="threats"\} 2$/m);

  const presence = await get(a, '/v1/presence/threats');
  expect(presence).toMatchObject({ connections: 3, users: 2 });
  expect(presence.members.map((m: any) => [m.user, m.connections]).sort()).toEqual([
    ['u_alice', 2],
    ['u_bob', 1],
  ]);

  const listing = await get(a, '/v1/connections');
  expect(listing.instances).toHaveLength(2);
  expect(listing.connections).toHaveLength(3);
  const instanceOf = (user: string) => new Set(listing.connections.filter((c: any) => c.user === user).map((c: any) => c.instance));
  expect(instanceOf('u_alice').size).toBe(2);
  expect(instanceOf('u_bob').size).toBe(1);
  expect(listing.connections.every((c: any) => c.transport === 'websocket' && c.remote_address === '127.0.0.1')).toBe(true);

  // A connection leaving B: its fields are deleted from B's hashes at B's next refresh.
  await bob.close();
  await until('bob gone from A\'s view', async () => (await row(a, 'alerts')).subscribers === 0);
  expect(await row(a, 'threats')).toMatchObject({ subscribers: 2, users: 1 });
  await connect(b, await token('u_bob', ['viewer']), 'threats');
  await until('bob back on A\'s view', async () => (await row(a, 'threats')).subscribers === 3);

  // SIGKILL: B cannot remove its entries; Redis expires them. Right after the kill, every key of B
  // expires within the TTL (proved on the keys themselves), and A's counts drop to its own.
  const bInstance = [...instanceOf('u_bob')][0] as string;
  const tag = typeof tagOf === 'string' ? tagOf : tagOf(bInstance);
  const bKeys = [`${tag}:alive:${bInstance}`, `${tag}:m:${bInstance}`, `${tag}:c:${bInstance}`];
  for (const key of bKeys) expect(Number(await ask('EXISTS', key)), `${key} exists`).toBe(1);
  await b.kill();
  for (const key of bKeys) {
    const ttl = Number(await ask('PTTL', key));
    // -2: already gone; else at most the 5 s TTL.
    expect(ttl === -2 || (ttl > 0 && ttl <= 5000), `${key} PTTL ${ttl}`).toBe(true);
  }
  await until('B\'s entries expired', async () => (await row(a, 'threats')).subscribers === 1, 15_000);
  expect(await row(a, 'threats')).toMatchObject({ subscribers: 1, users: 1 });
  expect(await row(a, 'alerts')).toMatchObject({ subscribers: 0, users: 0 });
  expect((await get(a, '/v1/connections')).instances).toHaveLength(1);
}

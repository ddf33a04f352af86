import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as pause } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createClient, type GapEvent, type NsClient } from '../src/index.js';
import { collect, nextClientEvent, range } from './support/await-client.js';
import { gatewayBuilt, GatewayProcess, threatEvent } from './support/gateway-process.js';
import { redisAvailable, RedisProcess } from './support/redis-process.js';
import { TcpProxy } from './support/tcp-proxy.js';

// Issue 7 acceptance: the client against the real gateway process (`node apps/gateway/dist/cli.js start`,
// memory engine, local auth on loopback), with events published over HTTP while connections die.
// The gateway is reached through a loopback TCP relay so the test can cut live connections (no close
// frame: the client sees 1006, the gateway a vanished peer) and follow a restart to a new port.

const gateways: GatewayProcess[] = [];
let proxy: TcpProxy | undefined;
let client: NsClient | undefined;
let redis: RedisProcess | undefined;

async function startGateway(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const gateway = await GatewayProcess.start(env);
  gateways.push(gateway);
  return gateway;
}

function connect(port: number): NsClient {
  client = createClient({ url: `ws://127.0.0.1:${port}/ws`, WebSocket, backoff: { minMs: 10, maxMs: 200, factor: 2 } });
  return client;
}

/** A Node `ws` WebSocket whose answers to protocol pings can be switched off, per socket. */
class PongSwitchWebSocket extends WebSocket {
  static readonly created: PongSwitchWebSocket[] = [];
  answerPings = true;

  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols, { autoPong: false });
    PongSwitchWebSocket.created.push(this);
    this.on('ping', (data) => {
      if (this.answerPings) this.pong(data);
    });
  }
}

const batchOf = (run: string, from: number, count: number) => range(from, from + count - 1).map((i) => threatEvent(`acc-${run}-${i}`));

afterEach(async () => {
  client?.close();
  client = undefined;
  await proxy?.close();
  proxy = undefined;
  await Promise.all(gateways.splice(0).map((g) => g.stop('SIGKILL')));
  await redis?.stop();
  redis = undefined;
});

describe.skipIf(!gatewayBuilt())('ws-client against the real gateway', () => {
  it('ends with every event exactly once, in order, when its connection is killed mid-stream while events are published', async () => {
    const gateway = await startGateway();
    proxy = await TcpProxy.start(gateway.port);
    const c = connect(proxy.port);
    const gaps: GapEvent[] = [];
    c.on('gap', (g) => gaps.push(g));
    const firstSubscribed = nextClientEvent(c, 'subscribed');
    const threats = collect(c, 'threats');
    await firstSubscribed;

    const run = randomUUID().slice(0, 8);
    const published: string[] = [];
    const publishBatch = async (batch: number): Promise<void> => {
      const events = batchOf(run, batch * 10 + 1, 10);
      await gateway.publish(events);
      published.push(...events.map((e) => (e as { id: string }).id));
    };

    for (let batch = 0; batch < 10; batch += 1) await publishBatch(batch);
    // Kill 1, right behind a publish (its fan-out may still be in flight); keep the client out while
    // a batch is published, so those events can only come back by replay.
    let resubscribed = nextClientEvent(c, 'subscribed');
    proxy.refusing = true;
    proxy.cutAll();
    await publishBatch(10);
    proxy.refusing = false;
    const resumed = await resubscribed;
    expect(resumed).toMatchObject({ recovered: true });
    expect(resumed.replayed).toBeGreaterThanOrEqual(10);
    for (let batch = 11; batch < 20; batch += 1) await publishBatch(batch);
    // Kill 2, on the resumed connection, and keep publishing through the reconnect.
    resubscribed = nextClientEvent(c, 'subscribed');
    proxy.cutAll();
    for (let batch = 20; batch < 30; batch += 1) await publishBatch(batch);
    expect((await resubscribed).recovered).toBe(true);

    await threats.count(300);
    expect(threats.events.map((e) => e.id)).toEqual(published);
    const seqs = threats.seqs();
    expect(seqs).toEqual(range(seqs[0] ?? 1, (seqs[0] ?? 1) + 299));
    expect(new Set(threats.events.map((e) => e.epoch)).size).toBe(1);
    expect(gaps).toEqual([]);
    expect(c.stats().reconnects).toBe(2);
  });

  it('reports a gap after a gateway restart that lost the history (memory engine), then carries on in the new epoch', async () => {
    const first = await startGateway();
    proxy = await TcpProxy.start(first.port);
    const c = connect(proxy.port);
    const subscribed = nextClientEvent(c, 'subscribed');
    const threats = collect(c, 'threats');
    await subscribed;
    const run = randomUUID().slice(0, 8);
    const before = batchOf(run, 1, 20);
    await first.publish(before);
    await threats.count(20);
    const oldEpoch = threats.events[0]?.epoch;

    const reconnecting = nextClientEvent(c, 'state', (s) => s.state === 'reconnecting');
    const gap = nextClientEvent(c, 'gap');
    await first.stop('SIGTERM'); // graceful: 1001 to every client
    expect(await reconnecting).toMatchObject({ closeCode: 1001 });

    const second = await startGateway();
    proxy.targetPort = second.port;
    const report = await gap;
    expect(report).toMatchObject({ channel: 'threats', reason: 'not_recovered', since: { epoch: oldEpoch, seq: threats.events[19]?.seq } });
    expect(report.epoch).not.toBe(oldEpoch);

    const after = batchOf(run, 21, 10);
    await second.publish(after);
    await threats.count(30);
    expect(threats.events.map((e) => e.id)).toEqual([...before, ...after].map((e) => (e as { id: string }).id));
    expect(threats.events.slice(20).every((e) => e.epoch === report.epoch)).toBe(true);
  });

  it(
    'ends with every event exactly once, in order, when the gateway itself terminates the connection (heartbeat) mid-stream',
    async () => {
      // The gateway pings every second and terminates a connection that leaves a ping unanswered for
      // 10 s: the real server-side terminate path, no close frame. Events keep being published meanwhile.
      const gateway = await startGateway({ NS_HEARTBEAT_S: '1' });
      PongSwitchWebSocket.created.length = 0;
      client = createClient({ url: `${gateway.url.replace('http', 'ws')}/ws`, WebSocket: PongSwitchWebSocket, backoff: { minMs: 10, maxMs: 200, factor: 2 } });
      const c = client;
      const gaps: GapEvent[] = [];
      c.on('gap', (g) => gaps.push(g));
      const subscribed = nextClientEvent(c, 'subscribed');
      const threats = collect(c, 'threats');
      await subscribed;

      const run = randomUUID().slice(0, 8);
      const published: string[] = [];
      let next = 1;
      const publishBatch = async (): Promise<void> => {
        const events = batchOf(run, next, 5);
        next += 5;
        await gateway.publish(events);
        published.push(...events.map((e) => (e as { id: string }).id));
      };
      await publishBatch();
      await threats.count(5);

      const terminated = nextClientEvent(c, 'state', (s) => s.state === 'reconnecting');
      const resubscribed = nextClientEvent(c, 'subscribed');
      const first = PongSwitchWebSocket.created[0];
      if (first !== undefined) first.answerPings = false;
      let resumed = false;
      void resubscribed.then(() => {
        resumed = true;
      });
      // Publish a batch every 200 ms (a pace, not a wait for a condition) until the client is back.
      while (!resumed) {
        await publishBatch();
        await pause(200);
      }
      expect(await terminated).toMatchObject({ closeCode: 1006 });
      for (let i = 0; i < 3; i += 1) await publishBatch();

      await threats.count(published.length);
      expect(threats.events.map((e) => e.id)).toEqual(published);
      expect(gaps).toEqual([]);
      expect(c.stats().reconnects).toBe(1);
    },
    40_000,
  );
});

describe.skipIf(!gatewayBuilt() || !redisAvailable())('ws-client against real gateways sharing a Redis engine', () => {
  it(
    'ends with every event exactly once, in order, across a real restart of its gateway process while events are published',
    async () => {
      redis = await RedisProcess.start();
      const env = { NS_ENGINE: 'redis', NS_REDIS_URL: redis.url, NS_REDIS_PREFIX: `acc${randomUUID().slice(0, 8)}:` };
      // The client's gateway gets restarted; a second instance on the same Redis takes the publishes
      // throughout, so events keep coming while the client's gateway is down.
      let served = await startGateway(env);
      const publisher = await startGateway(env);
      proxy = await TcpProxy.start(served.port);
      const c = connect(proxy.port);
      const gaps: GapEvent[] = [];
      c.on('gap', (g) => gaps.push(g));
      const subscribed = nextClientEvent(c, 'subscribed');
      const threats = collect(c, 'threats');
      await subscribed;

      const run = randomUUID().slice(0, 8);
      const published: string[] = [];
      let next = 1;
      const publishBatch = async (): Promise<void> => {
        const events = batchOf(run, next, 10);
        next += 10;
        await publisher.publish(events);
        published.push(...events.map((e) => (e as { id: string }).id));
      };
      for (let i = 0; i < 5; i += 1) await publishBatch();
      await threats.count(50); // fanned out across instances through Redis

      const closed = nextClientEvent(c, 'state', (s) => s.state === 'reconnecting');
      const resubscribed = nextClientEvent(c, 'subscribed');
      const stopping = served.stop('SIGTERM'); // a deploy: drain, 1001 to clients, exit
      for (let i = 0; i < 3; i += 1) await publishBatch();
      expect(await closed).toMatchObject({ closeCode: 1001 });
      await stopping;
      for (let i = 0; i < 3; i += 1) await publishBatch(); // the client's gateway is gone now
      served = await startGateway(env);
      proxy.targetPort = served.port;
      const resumed = await resubscribed;
      expect(resumed).toMatchObject({ recovered: true });
      expect(resumed.replayed).toBeGreaterThanOrEqual(30); // at least what was published while it was down
      for (let i = 0; i < 4; i += 1) await publishBatch();

      await threats.count(published.length);
      expect(threats.events.map((e) => e.id)).toEqual(published);
      const seqs = threats.seqs();
      expect(seqs).toEqual(range(seqs[0] ?? 1, (seqs[0] ?? 1) + published.length - 1));
      expect(new Set(threats.events.map((e) => e.epoch)).size).toBe(1);
      expect(gaps).toEqual([]);
    },
    40_000,
  );
});

describe.skipIf(!gatewayBuilt())('ws-client against a real gateway requiring JWTs', () => {
  const secret = randomBytes(32).toString('hex');
  const sign = (key: string, expiresInS: number): Promise<string> =>
    new SignJWT({ username: 'alice', roles: ['analyst'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u_alice')
      .setJti(randomUUID())
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInS)
      .sign(new TextEncoder().encode(key));

  it('authenticates in the first frame, reads a protected channel, and refreshes an expiring token on the same connection', async () => {
    const gateway = await startGateway({ NS_JWT_SECRET: secret });
    // The first token expires in 32 s, so the gateway's auth_expiring (30 s ahead) comes within ~2 s.
    const lifetimes = [32];
    const issued: string[] = [];
    const getToken = async (): Promise<string> => {
      const token = await sign(secret, lifetimes.shift() ?? 3600);
      issued.push(token);
      return token;
    };
    client = createClient({ url: `${gateway.url.replace('http', 'ws')}/ws`, WebSocket, getToken });
    const c = client;
    const first = nextClientEvent(c, 'authenticated');
    const subscribed = nextClientEvent(c, 'subscribed');
    const threats = collect(c, 'threats');
    expect((await first).principal).toMatchObject({ id: 'u_alice', permissions: ['read:events', 'read:alerts'] });
    await subscribed;

    const refreshed = await nextClientEvent(c, 'authenticated');
    expect(refreshed.expires_at).toBeGreaterThan(Date.now() / 1000 + 600);
    expect(issued).toHaveLength(2);

    await gateway.publish([threatEvent(`jwt-${randomUUID().slice(0, 8)}`)]);
    await threats.count(1);
    expect(c.stats().reconnects).toBe(0);
    expect(c.state).toBe('open');
  });

  it('stays closed after 4001 when the gateway refuses the token and there is no other', async () => {
    const gateway = await startGateway({ NS_JWT_SECRET: secret });
    client = createClient({ url: `${gateway.url.replace('http', 'ws')}/ws`, WebSocket, token: await sign('a-different-secret-of-at-least-32-bytes!!', 3600) });
    const closed = await nextClientEvent(client, 'state', (s) => s.state === 'closed');
    expect(closed.closeCode).toBe(4001);
  });
});

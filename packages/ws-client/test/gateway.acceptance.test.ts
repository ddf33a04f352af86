import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as pause } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createClient, type GapEvent, type NsClient } from '../src/index.js';
import { collect, nextClientEvent, range } from './support/await-client.js';
import {
  gatewayMissing,
  publishAccepted,
  redisServerMissing,
  runsWith,
  startGateway as launchGateway,
  startRedisServer,
  type GatewayProcess,
  type TestRedisServer,
} from '@ns/testkit';
import { TcpProxy } from './support/tcp-proxy.js';

// Issue 7 acceptance: the client against the real gateway process (`node apps/gateway/dist/cli.js start`,
// memory engine, local auth on loopback), with events published over HTTP while connections die.
// The gateway is reached through a loopback TCP relay so the test can cut live connections (no close
// frame: the client sees 1006, the gateway a vanished peer) and follow a restart to a new port.
// How the connection dies, each while events are published:
// - cut on the network (relay reset), and by the gateway itself: heartbeat terminate, 4008 slow consumer;
// - a real restart of the gateway process: memory engine (history lost → gap), Redis engine after a
//   drain (SIGTERM) and a crash (SIGKILL) (exactly once, in order), and Redis with more published
//   during the restart than the history keeps (gap, then exactly once, in order).

const gateways: GatewayProcess[] = [];
let proxy: TcpProxy | undefined;
let client: NsClient | undefined;
let redis: TestRedisServer | undefined;

async function startGateway(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const gateway = await launchGateway({ NS_HOST: '127.0.0.1', NS_LOG_LEVEL: 'info', ...env });
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

/** A Node `ws` WebSocket that can stop reading from its TCP socket, like a browser tab that stalls. */
class PausableWebSocket extends WebSocket {
  static readonly created: PausableWebSocket[] = [];

  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    PausableWebSocket.created.push(this);
  }
}

/** The gateway's Prometheus counter of connections it closed with 4008. */
async function slowConsumerCloses(gateway: GatewayProcess): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  return Number(/^ns_slow_consumer_closes_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

/** A valid `threat.new` publish request with a caller-chosen id. */
function threatEvent(id: string, score = 5): object {
  return {
    type: 'threat.new',
    id,
    data: { source_ip: '203.0.113.7', threat_score: score, threat_level: 'high', timestamp: Date.now() / 1000 },
  };
}

const batchOf = (run: string, from: number, count: number) => range(from, from + count - 1).map((i) => threatEvent(`acc-${run}-${i}`));

afterEach(async () => {
  client?.close();
  client = undefined;
  await proxy?.close();
  proxy = undefined;
  // A drain, not a crash (the crash tests SIGKILL their own gateway): drained gateways write their coverage.
  await Promise.all(gateways.splice(0).map((g) => g.shutdown()));
  await redis?.close();
  redis = undefined;
});

describe.runIf(runsWith(gatewayMissing(), 'ws-client acceptance tests'))('ws-client against the real gateway', () => {
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
      await publishAccepted(gateway.url, events);
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
    await publishAccepted(first.url, before);
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
    await publishAccepted(second.url, after);
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
        await publishAccepted(gateway.url, events);
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

  it(
    'ends with every event exactly once, in order, when the gateway closes it as a slow consumer (4008) mid-stream',
    async () => {
      // The client stops reading while large events are published: the gateway's buffer for it passes
      // 1 MiB, it discards what is queued and closes with 4008. The client then reads what had reached
      // it, sees 4008, reconnects at once and resumes from history (threats keeps the last 1000).
      const gateway = await startGateway();
      PausableWebSocket.created.length = 0;
      client = createClient({ url: `${gateway.url.replace('http', 'ws')}/ws`, WebSocket: PausableWebSocket, backoff: { minMs: 10, maxMs: 200, factor: 2 } });
      const c = client;
      const gaps: GapEvent[] = [];
      c.on('gap', (g) => gaps.push(g));
      const subscribed = nextClientEvent(c, 'subscribed');
      const threats = collect(c, 'threats');
      await subscribed;

      const run = randomUUID().slice(0, 8);
      // ~40 KB per event (extra data fields pass through): 50 of them make a 2 MB publish request.
      const padding = 'x'.repeat(40_000);
      const published: string[] = [];
      let next = 1;
      const publishBatch = async (count: number): Promise<void> => {
        const events = batchOf(run, next, count).map((e) => {
          const event = e as { id: string; data: object };
          return { ...event, data: { ...event.data, padding } };
        });
        next += count;
        await publishAccepted(gateway.url, events);
        published.push(...events.map((e) => e.id));
      };
      await publishBatch(5);
      await threats.count(5);

      const closed = nextClientEvent(c, 'state', (s) => s.state === 'reconnecting');
      const resubscribed = nextClientEvent(c, 'subscribed');
      const stalled = PausableWebSocket.created[0];
      stalled?.pause();
      // Publish until the gateway gives up on the stalled connection; kernel buffers on loopback take a
      // few MB first. 16 batches (32 MB) is far past any of them and stays within threats' history.
      for (let batch = 0; batch < 16 && (await slowConsumerCloses(gateway)) === 0; batch += 1) await publishBatch(50);
      expect(await slowConsumerCloses(gateway)).toBe(1);
      await publishBatch(5); // published after the close: only the resume can bring these
      stalled?.resume();

      expect(await closed).toMatchObject({ closeCode: 4008, delayMs: 0 });
      expect(await resubscribed).toMatchObject({ recovered: true });
      await publishBatch(5);

      await threats.count(published.length);
      expect(threats.events.map((e) => e.id)).toEqual(published);
      const seqs = threats.seqs();
      expect(seqs).toEqual(range(seqs[0] ?? 1, (seqs[0] ?? 1) + published.length - 1));
      expect(gaps).toEqual([]);
      expect(c.stats().reconnects).toBe(1);
    },
    40_000,
  );
});

describe.runIf(runsWith(gatewayMissing() ?? redisServerMissing(), 'ws-client Redis acceptance tests'))('ws-client against real gateways sharing a Redis engine', () => {
  /**
   * Redis, the gateway the client is served by (through the relay, so a restart can come back on
   * another port), and a second instance on the same Redis that takes the publishes throughout, so
   * events keep coming while the client's gateway is down.
   */
  async function sharedRedisSetup() {
    redis = await startRedisServer();
    const env = { NS_ENGINE: 'redis', NS_REDIS_URL: redis.url, NS_REDIS_PREFIX: `acc${randomUUID().slice(0, 8)}:` };
    const served = await startGateway(env);
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
    const publish = async (count = 10): Promise<void> => {
      const events = batchOf(run, next, count);
      next += count;
      await publishAccepted(publisher.url, events);
      published.push(...events.map((e) => (e as { id: string }).id));
    };
    return { env, served, proxy, c, gaps, threats, published, publish };
  }

  it.each([
    { signal: 'SIGTERM' as const, what: 'a deploy: drain, 1001 to clients, exit', closeCode: 1001 },
    { signal: 'SIGKILL' as const, what: 'a crash: no close frame, the socket just dies', closeCode: 1006 },
  ])(
    'ends with every event exactly once, in order, across a real restart of its gateway process ($signal) while events are published',
    async ({ signal, closeCode }) => {
      const { env, served, proxy: relay, c, gaps, threats, published, publish } = await sharedRedisSetup();
      for (let i = 0; i < 5; i += 1) await publish();
      await threats.count(50); // fanned out across instances through Redis

      const closed = nextClientEvent(c, 'state', (s) => s.state === 'reconnecting');
      const resubscribed = nextClientEvent(c, 'subscribed');
      const stopping = served.stop(signal);
      for (let i = 0; i < 3; i += 1) await publish();
      expect(await closed).toMatchObject({ closeCode });
      await stopping;
      for (let i = 0; i < 3; i += 1) await publish(); // the client's gateway is gone now
      const restarted = await startGateway(env);
      relay.targetPort = restarted.port;
      const resumed = await resubscribed;
      expect(resumed).toMatchObject({ recovered: true });
      expect(resumed.replayed).toBeGreaterThanOrEqual(30); // at least what was published while it was down
      for (let i = 0; i < 4; i += 1) await publish();

      await threats.count(published.length);
      expect(threats.events.map((e) => e.id)).toEqual(published);
      const seqs = threats.seqs();
      expect(seqs).toEqual(range(seqs[0] ?? 1, (seqs[0] ?? 1) + published.length - 1));
      expect(new Set(threats.events.map((e) => e.epoch)).size).toBe(1);
      expect(gaps).toEqual([]);
    },
    40_000,
  );

  it(
    'reports a gap when more was published during a restart of its gateway process than the history keeps, then carries on exactly once, in order',
    async () => {
      const { env, served, proxy: relay, c, gaps, threats, published, publish } = await sharedRedisSetup();
      for (let i = 0; i < 5; i += 1) await publish();
      await threats.count(50);
      const before = threats.events.at(-1);

      const gap = nextClientEvent(c, 'gap');
      const resubscribed = nextClientEvent(c, 'subscribed');
      await served.stop('SIGKILL');
      // threats keeps its last 1000 events: 1200 more push the client's cursor out of the history.
      for (let i = 0; i < 3; i += 1) await publish(400);
      const restarted = await startGateway(env);
      relay.targetPort = restarted.port;

      const report = await gap;
      expect(report).toMatchObject({ channel: 'threats', reason: 'not_recovered', since: { epoch: before?.epoch, seq: before?.seq }, epoch: before?.epoch });
      expect(report.seq).toBe((before?.seq ?? 0) + 1200);
      const resumed = await resubscribed;
      expect(resumed).toMatchObject({ recovered: false, replayed: 1000 });
      for (let i = 0; i < 2; i += 1) await publish();

      // What the history still had (the last 1000 of the 1200) comes as the replay, then live events;
      // the 200 in between are the gap. Each event at most once, in order.
      const expected = [...published.slice(0, 50), ...published.slice(250)];
      await threats.count(expected.length);
      expect(threats.events.map((e) => e.id)).toEqual(expected);
      const seqs = threats.seqs();
      expect(seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] ?? 0))).toBe(true);
      expect(gaps).toEqual([report]);
    },
    40_000,
  );
});

describe.runIf(runsWith(gatewayMissing(), 'ws-client acceptance tests'))('ws-client against a real gateway requiring JWTs', () => {
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
    expect((await first).principal).toMatchObject({ id: 'u_alice', permissions: ['read:events', 'read:alerts', 'write:alerts'] });
    await subscribed;

    const refreshed = await nextClientEvent(c, 'authenticated');
    expect(refreshed.expires_at).toBeGreaterThan(Date.now() / 1000 + 600);
    expect(issued).toHaveLength(2);

    await publishAccepted(gateway.url, [threatEvent(`jwt-${randomUUID().slice(0, 8)}`)]);
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

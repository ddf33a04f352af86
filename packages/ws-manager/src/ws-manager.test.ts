import { once } from 'node:events';
import { CLOSE_CODES, type Principal, type SubscribeMessage } from '@ns/contracts';
import { EventBus, MemoryEngine } from '@ns/event-bus';
import { closeAfterEach } from '@ns/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient, startManagerServer, threat, type ManagerServer } from '../test/harness.js';

const viewer: Principal = { id: 'u1', roles: ['viewer'], permissions: ['read:events', 'read:alerts'] };

let server: ManagerServer | undefined;

async function start(options: Parameters<typeof startManagerServer>[0] = {}): Promise<ManagerServer> {
  server = await startManagerServer(options);
  return server;
}

async function connect(s: ManagerServer): Promise<TestClient> {
  return track(await TestClient.connect(s.url));
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});
// After the server's hook: hooks run in stack order, so the clients close first.
const track = closeAfterEach<TestClient>();

describe('WsManager subscriptions', () => {
  it('replies subscribed with the channel head and then delivers live events in seq order', async () => {
    const s = await start();
    await s.bus.publish(threat(1));
    const c = await connect(s);
    const reply = await c.request({ type: 'subscribe', id: 'r1', channel: 'threats' });
    expect(reply).toMatchObject({ type: 'subscribed', id: 'r1', channel: 'threats', seq: 1, replayed: 0 });
    expect(typeof reply.epoch).toBe('string');
    for (let i = 0; i < 5; i++) await s.bus.publish(threat(i));
    const events = await c.waitForEvents('threats', 5);
    expect(events.map((e) => e.seq)).toEqual([2, 3, 4, 5, 6]);
    expect(events[0]).toMatchObject({ type: 'threat.new', channel: 'threats', epoch: reply.epoch, data: { threat_score: 0 } });
  });

  it('applies the typed filter server-side', async () => {
    const s = await start();
    const c = await connect(s);
    await c.request({ type: 'subscribe', id: 'r1', channel: 'threats', filter: { min_score: 5 } });
    for (const score of [1, 6, 2, 9]) await s.bus.publish(threat(score));
    const events = await c.waitForEvents('threats', 2);
    expect(events.map((e) => (e.data as { threat_score: number }).threat_score)).toEqual([6, 9]);
    expect(s.manager.stats().delivered.threats).toBe(2);
  });

  it('replays events after `since` and then goes live without gap or duplicate', async () => {
    const s = await start();
    const first = await connect(s);
    const head = await first.request({ type: 'subscribe', id: 'a', channel: 'threats' });
    for (let i = 0; i < 5; i++) await s.bus.publish(threat(i));
    const c = await connect(s);
    const reply = await c.request({ type: 'subscribe', id: 'r', channel: 'threats', since: { epoch: head.epoch, seq: 2 } });
    expect(reply).toMatchObject({ type: 'subscribed', recovered: true, replayed: 3, seq: 5 });
    for (let i = 0; i < 3; i++) await s.bus.publish(threat(i));
    const events = await c.waitForEvents('threats', 6);
    expect(events.map((e) => e.seq)).toEqual([3, 4, 5, 6, 7, 8]);
    // The `subscribed` reply comes before the first replayed event.
    expect(c.messages.findIndex((m) => m.type === 'subscribed')).toBeLessThan(c.messages.findIndex((m) => m.seq === 3));
  });

  it('keeps seq contiguous when events are published while history is being read', async () => {
    const s = await start();
    await s.bus.publish(threat(1));
    const c = await connect(s);
    const epoch = (await s.bus.heads()).threats.epoch;
    const publishing = (async () => {
      for (let i = 0; i < 50; i++) await s.bus.publish(threat(i));
    })();
    const reply = await c.request({ type: 'subscribe', id: 'r', channel: 'threats', since: { epoch, seq: 0 } });
    await publishing;
    const events = await c.waitForEvents('threats', 51);
    expect(reply.recovered).toBe(true);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
  });

  it('answers an unknown epoch with recovered false and the current head', async () => {
    const s = await start();
    await s.bus.publish(threat(1));
    const c = await connect(s);
    const reply = await c.request({ type: 'subscribe', id: 'r', channel: 'threats', since: { epoch: 'gone', seq: 10 } });
    expect(reply).toMatchObject({ recovered: false, seq: 1 });
  });

  it('sends the latest value of every component first on status and metrics', async () => {
    const s = await start();
    await s.bus.publish({ type: 'status.update', data: { component: 'a', status: 'healthy' } });
    await s.bus.publish({ type: 'status.update', data: { component: 'b', status: 'healthy' } });
    await s.bus.publish({ type: 'status.update', data: { component: 'a', status: 'degraded' } });
    const c = await connect(s);
    const reply = await c.request({ type: 'subscribe', id: 'r', channel: 'status' });
    expect(reply).toMatchObject({ replayed: 2, seq: 3 });
    const events = await c.waitForEvents('status', 2);
    expect(events.map((e) => e.data)).toEqual(
      expect.arrayContaining([
        { component: 'a', status: 'degraded' },
        { component: 'b', status: 'healthy' },
      ]),
    );
    const filtered = await connect(s);
    const r2 = await filtered.request({ type: 'subscribe', id: 'r', channel: 'status', filter: { components: ['b'] } });
    expect(r2.replayed).toBe(1);
  });

  it('replaces a subscription when the same channel is subscribed again', async () => {
    const s = await start();
    const c = await connect(s);
    await c.request({ type: 'subscribe', id: 'a', channel: 'threats', filter: { min_score: 5 } });
    await c.request({ type: 'subscribe', id: 'b', channel: 'threats' });
    expect(s.manager.stats().subscriptions.threats).toBe(1);
    await s.bus.publish(threat(1));
    await c.waitForEvents('threats', 1);
  });

  it('unsubscribes (idempotently) and stops delivery', async () => {
    const s = await start();
    const c = await connect(s);
    await c.request({ type: 'subscribe', id: 'a', channel: 'threats' });
    expect(await c.request({ type: 'unsubscribe', id: 'u', channel: 'threats' })).toEqual({ type: 'unsubscribed', id: 'u', channel: 'threats' });
    expect(await c.request({ type: 'unsubscribe', id: 'u2', channel: 'threats' })).toMatchObject({ type: 'unsubscribed' });
    await s.bus.publish(threat(1));
    await c.request({ type: 'ping', id: 'p' });
    expect(c.events('threats')).toEqual([]);
    expect(s.manager.stats().subscriptions.threats).toBe(0);
  });

  it('answers ping with pong carrying the server time', async () => {
    const s = await start();
    const c = await connect(s);
    const pong = await c.request({ type: 'ping', id: 'p1' });
    expect(pong).toMatchObject({ type: 'pong', id: 'p1' });
    expect(Math.abs((pong.server_time as number) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('refuses channels the principal may not read', async () => {
    const s = await start({ principal: { id: 'u2', roles: [], permissions: ['read:events'] } });
    const c = await connect(s);
    const reply = await c.request({ type: 'subscribe', id: 'r', channel: 'alerts' });
    expect(reply).toMatchObject({ type: 'error', id: 'r', code: 'forbidden', details: { channel: 'alerts' } });
  });

  it('lets anonymous connections read only permission-free channels', async () => {
    const s = await start({ principal: null });
    const c = await connect(s);
    expect(await c.request({ type: 'subscribe', id: 'r', channel: 'threats' })).toMatchObject({ type: 'error', code: 'unauthorized' });
    expect(await c.request({ type: 'subscribe', id: 's', channel: 'status' })).toMatchObject({ type: 'subscribed' });
    expect(await c.request({ type: 'subscribe', id: 't', channel: 'system' })).toMatchObject({ type: 'subscribed' });
  });

  it('caps subscriptions per connection', async () => {
    const s = await start({ maxSubscriptions: 2 });
    const c = await connect(s);
    await c.request({ type: 'subscribe', id: 'a', channel: 'threats' });
    await c.request({ type: 'subscribe', id: 'b', channel: 'alerts' });
    expect(await c.request({ type: 'subscribe', id: 'c', channel: 'status' })).toMatchObject({
      type: 'error',
      code: 'too_many_subscriptions',
      details: { limit: 2 },
    });
    // Re-subscribing an existing channel is not a new subscription.
    expect(await c.request({ type: 'subscribe', id: 'd', channel: 'alerts' })).toMatchObject({ type: 'subscribed' });
  });

  it('ends subscriptions a new principal may not read', async () => {
    const s = await start({ principal: viewer });
    const c = await connect(s);
    await c.request({ type: 'subscribe', id: 'a', channel: 'alerts' });
    await c.request({ type: 'subscribe', id: 'b', channel: 'threats' });
    const connection = s.accepted[0]!;
    s.manager.setPrincipal(connection, { id: 'u1', roles: [], permissions: ['read:events'] });
    const error = await c.next((m) => m.type === 'error');
    expect(error).toMatchObject({ code: 'forbidden', details: { channel: 'alerts' } });
    expect(s.manager.channelsOf(connection)).toEqual(['threats']);
    expect(connection.channels).toEqual(['threats']);
  });

  it('abandons a subscribe whose replay is cancelled by an unsubscribe', async () => {
    const s = await start();
    const c = await connect(s);
    const connection = s.accepted[0]!;
    const subscribing = s.manager.subscribe(connection, { type: 'subscribe', id: 'a', channel: 'threats' });
    expect(s.manager.channelsOf(connection)).toEqual(['threats']);
    void s.manager.handle(connection, { type: 'unsubscribe', id: 'u', channel: 'threats' });
    expect(await subscribing).toBe(false);
    expect(s.manager.stats().subscriptions.threats).toBe(0);
    expect(await c.request({ type: 'ping', id: 'p' })).toMatchObject({ type: 'pong' });
    expect(c.messages.some((m) => m.type === 'subscribed')).toBe(false);
  });

  it('lets the later of two overlapping subscribes to a channel win', async () => {
    const s = await start();
    const c = await connect(s);
    const connection = s.accepted[0]!;
    // `as SubscribeMessage`: the contracts currently infer subscribe filters as Record<string, never>.
    const first = s.manager.subscribe(connection, { type: 'subscribe', id: 'a', channel: 'threats', filter: { min_score: 9 } } as unknown as SubscribeMessage);
    const second = s.manager.subscribe(connection, { type: 'subscribe', id: 'b', channel: 'threats' });
    expect([await first, await second]).toEqual([false, true]);
    await s.bus.publish(threat(1));
    await c.waitForEvents('threats', 1);
  });

  it('keeps cleaning up when a close listener throws', async () => {
    const s = await start();
    const c = await connect(s);
    const connection = s.accepted[0]!;
    connection.onClose(() => {
      throw new Error('listener bug');
    });
    const after = new Promise<void>((resolve) => connection.onClose(() => resolve()));
    await c.close();
    await after;
    expect(s.manager.stats().connections).toBe(0);
  });

  it('reports engine failures as errors instead of throwing', async () => {
    const engine = new MemoryEngine();
    const s = await start({ bus: new EventBus({ engine }) });
    const c = await connect(s);
    await engine.close();
    const reply = await c.request({ type: 'subscribe', id: 'r', channel: 'threats' });
    expect(reply).toMatchObject({ type: 'error', id: 'r' });
  });

  it('removes every subscription of a connection when it closes', async () => {
    const s = await start();
    const c = await connect(s);
    await c.request({ type: 'subscribe', id: 'a', channel: 'threats' });
    await c.request({ type: 'subscribe', id: 'b', channel: 'status' });
    const closed = new Promise<void>((resolve) => s.accepted[0]!.onClose(() => resolve()));
    await c.close();
    await closed;
    const stats = s.manager.stats();
    expect(stats.connections).toBe(0);
    expect(stats.subscriptions.threats + stats.subscriptions.status).toBe(0);
  });
});

describe('WsManager shutdown', () => {
  it('closes every connection with 1001 after flushing what was queued', async () => {
    const s = await start({ writeDelayMs: 50 });
    const a = await connect(s);
    const b = await connect(s);
    await a.request({ type: 'subscribe', id: 'x', channel: 'threats' });
    await s.bus.publish(threat(3));
    await s.manager.close({ graceMs: 2_000, notice: 'deploy' });
    expect(await a.closed).toEqual({ code: CLOSE_CODES.GOING_AWAY, reason: 'deploy' });
    expect((await b.closed).code).toBe(CLOSE_CODES.GOING_AWAY);
    expect(a.events('threats')).toHaveLength(1);
    expect(s.manager.stats().connections).toBe(0);
  });

  it('terminates clients that do not complete the closing handshake within the grace period', async () => {
    const s = await start();
    const c = await connect(s);
    // A paused client never reads the close frame, so it never answers it.
    c.ws.pause();
    await s.manager.close({ graceMs: 50 });
    expect(s.manager.stats().connections).toBe(0);
    c.ws.resume();
    expect((await c.closed).code).toBe(CLOSE_CODES.GOING_AWAY);
  });

  it('refuses connections that arrive after close', async () => {
    const s = await start();
    await s.manager.close();
    const c = new TestClient(s.url);
    track(c);
    expect((await c.closed).code).toBe(CLOSE_CODES.GOING_AWAY);
  });
});

describe('WsManager heartbeat', () => {
  it('terminates a client that stops answering protocol pings', async () => {
    // The healthy client answers from this same (possibly loaded) process: 2 s to pong keeps it from
    // being terminated too when the event loop is slow (a 40 ms timeout did under three suites at once).
    const s = await start({ heartbeatMs: 40, pongTimeoutMs: 2_000 });
    const silent = await TestClient.connect(s.url, { autoPong: false });
    const healthy = await connect(s);
    track(silent);
    const closed = await silent.closed;
    expect(closed.code).toBe(1006);
    expect(s.manager.stats().heartbeatTerminations).toBe(1);
    // The answering client is still connected.
    expect(await healthy.request({ type: 'ping', id: 'p' })).toMatchObject({ type: 'pong' });
    expect(healthy.ws.readyState).toBe(healthy.ws.OPEN);
  });

  it('pings clients on the interval', async () => {
    const s = await start({ heartbeatMs: 20, pongTimeoutMs: 1_000 });
    const c = await connect(s);
    await once(c.ws, 'ping');
    await once(c.ws, 'ping');
    expect(s.manager.stats().heartbeatTerminations).toBe(0);
  });
});

describe('WsManager.onSinkChange', () => {
  it('tells of a sink registered, subscribed, unsubscribed, re-authenticated and closed, and no more once unsubscribed', async () => {
    const s = await start();
    const seen: string[] = [];
    const stop = s.manager.onSinkChange((sink) => seen.push(`${sink.state === 'closed' ? 'closed' : 'live'}:${sink.principal?.id ?? '-'}:${s.manager.channelsOf(sink).join(',')}`));
    const c = await connect(s);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen[0]).toMatch(/^live:/);
    const sink = [...s.manager.sinks()][0]!;
    seen.length = 0;
    await c.request({ type: 'subscribe', id: 'a', channel: 'threats' });
    expect(seen).toContain(`live:${sink.principal?.id ?? '-'}:threats`);
    seen.length = 0;
    await c.request({ type: 'unsubscribe', id: 'u', channel: 'threats' });
    expect(seen.at(-1)).toBe(`live:${sink.principal?.id ?? '-'}:`);
    seen.length = 0;
    s.manager.setPrincipal(sink, viewer);
    expect(seen).toEqual(['live:u1:']);
    seen.length = 0;
    const gone = new Promise<void>((resolve) => {
      const off = s.manager.onSinkChange((x) => {
        if (x === sink && x.state === 'closed') {
          off();
          resolve();
        }
      });
    });
    await c.close();
    await gone;
    expect(seen.at(-1)).toBe('closed:u1:');
    expect([...s.manager.sinks()]).not.toContain(sink);
    stop();
    seen.length = 0;
    await connect(s);
    expect(seen).toEqual([]);
  });
});

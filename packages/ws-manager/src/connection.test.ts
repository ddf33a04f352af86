import { CLOSE_CODES, type PublishEvent } from '@ns/contracts';
import { closeAfterEach } from '@ns/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient, startManagerServer, threat, type ManagerServer } from '../test/harness.js';

let server: ManagerServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});
// After the server's hook: hooks run in stack order, so the clients close first (resumed, so a paused
// socket can complete its closing handshake).
const track = closeAfterEach<TestClient>((c) => c.ws.resume());

async function connect(s: ManagerServer): Promise<TestClient> {
  return track(await TestClient.connect(s.url));
}

const indicators = Array.from({ length: 40 }, (_, i) => `indicator-${i}-${'x'.repeat(40)}`);
const bigThreat = (i: number) => threat(i % 10, { indicators });

/**
 * Publishes batches until `done()` or `maxEvents`; the loopback kernel buffers absorb a few MB before
 * the server's socket buffer starts to grow, so the bound is generous. Returns how many were published.
 */
async function publishUntil(s: ManagerServer, make: (i: number) => PublishEvent, done: () => boolean, maxEvents = 40_000): Promise<number> {
  let n = 0;
  while (!done() && n < maxEvents) {
    await s.bus.publishBatch(Array.from({ length: 200 }, (_, i) => make(n + i)));
    n += 200;
    // Let the coalescer write and the sockets drain between batches, as a live publisher would.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return n;
}

describe('backpressure', () => {
  it('closes a client that never reads with 4008 while the others still receive everything', async () => {
    const s = (server = await startManagerServer({ maxBufferedBytes: 256 * 1024 }));
    const slow = await connect(s);
    const others = [await connect(s), await connect(s)];
    for (const c of [slow, ...others]) await c.request({ type: 'subscribe', id: 's', channel: 'threats' });
    const slowClosed = new Promise<void>((resolve) => s.accepted[0]!.onClose(() => resolve()));
    slow.ws.pause();
    const published = await publishUntil(s, bigThreat, () => s.manager.stats().slowConsumerCloses > 0);
    expect(s.manager.stats().slowConsumerCloses).toBe(1);
    // Once it reads again, the slow client finds the 4008 close after what was already sent.
    slow.ws.resume();
    expect(await slow.closed).toMatchObject({ code: CLOSE_CODES.SLOW_CONSUMER });
    for (const c of others) {
      const events = await c.waitForEvents('threats', published);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: published }, (_, i) => i + 1));
    }
    await slowClosed;
    expect(s.manager.stats().connections).toBe(2);
  });

  it('drops ephemeral events for a client that cannot keep up, counts them, and keeps it connected', async () => {
    const s = (server = await startManagerServer({ maxBufferedBytes: 128 * 1024 }));
    const slow = await connect(s);
    await slow.request({ type: 'subscribe', id: 's', channel: 'events' });
    slow.ws.pause();
    const raw = (i: number): PublishEvent => ({
      type: 'event.raw',
      data: { logtype: 4002, src_host: '10.0.0.1', dst_host: '10.0.0.2', dst_port: 22, timestamp: 1764115200, logdata: { i, pad: 'p'.repeat(900) } },
    });
    await publishUntil(s, raw, () => s.manager.stats().dropped.events > 0);
    const stats = s.manager.stats();
    expect(stats.dropped.events).toBeGreaterThan(0);
    expect(stats.slowConsumerCloses).toBe(0);
    slow.ws.resume();
    expect(await slow.request({ type: 'ping', id: 'p' })).toMatchObject({ type: 'pong' });
    // What arrived is in seq order, with gaps where events were dropped.
    const seqs = slow.events('events').map((e) => e.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('replaces a pending latest-per-key value instead of closing the client', async () => {
    const s = (server = await startManagerServer({ maxBufferedBytes: 128 * 1024 }));
    const slow = await connect(s);
    await slow.request({ type: 'subscribe', id: 's', channel: 'metrics' });
    slow.ws.pause();
    const metrics = (i: number): PublishEvent => ({
      type: 'metrics.update',
      data: { component: `c${i % 4}`, metrics: Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`m${k}_padding_name`, i])), timestamp: 1764115200 },
    });
    const published = await publishUntil(s, metrics, () => s.manager.stats().dropped.metrics > 0);
    expect(s.manager.stats().slowConsumerCloses).toBe(0);
    slow.ws.resume();
    await slow.request({ type: 'ping', id: 'p' });
    // The newest value of every component is delivered.
    const events = slow.events('metrics');
    const last = events.at(-1)!;
    expect(last.seq).toBe(published);
    for (let k = 0; k < 4; k++) {
      const latest = events.filter((e) => (e.data as { component: string }).component === `c${k}`).at(-1)!;
      expect(latest.seq).toBeGreaterThan(published - 4);
    }
  });
});

describe('Connection lifecycle', () => {
  it('moves from accepting to open to closing to closed, flushing queued replies on close', async () => {
    const s = (server = await startManagerServer({ writeDelayMs: 10_000 }));
    const c = await connect(s);
    const connection = s.accepted[0]!;
    expect(connection.state).toBe('open');
    connection.send({ type: 'pong', server_time: 1 });
    connection.close(4003, 'x'.repeat(200));
    expect(connection.state).toBe('closing');
    const closed = await c.closed;
    expect(closed.code).toBe(4003);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    expect(c.messages).toEqual([{ type: 'pong', server_time: 1 }]);
    await new Promise<void>((resolve) => connection.onClose(() => resolve()));
    expect(connection.state).toBe('closed');
    // Late listeners and late sends are harmless.
    const late = await new Promise<number>((resolve) => connection.onClose((code) => resolve(code)));
    expect(late).toBe(1006);
    connection.send({ type: 'pong', server_time: 2 });
    connection.close();
    connection.terminate();
    connection.closeSlowConsumer();
  });

  it('cleans up when the client disappears without a closing handshake', async () => {
    const s = (server = await startManagerServer());
    const c = await connect(s);
    await c.request({ type: 'subscribe', id: 's', channel: 'threats' });
    const connection = s.accepted[0]!;
    const gone = new Promise<number>((resolve) => connection.onClose((code) => resolve(code)));
    c.ws.terminate();
    expect(await gone).toBe(1006);
    expect(s.manager.stats()).toMatchObject({ connections: 0, subscriptions: { threats: 0 } });
    await s.bus.publish(threat(1));
  });

  it('keeps order across replies and events through the one queue', async () => {
    const s = (server = await startManagerServer({ writeDelayMs: 0 }));
    const c = await connect(s);
    await c.request({ type: 'subscribe', id: 's', channel: 'threats' });
    const publishing = s.bus.publish(threat(1));
    c.send({ type: 'ping', id: 'p' });
    await publishing;
    await c.next((m) => m.id === 'p');
    await c.waitForEvents('threats', 1);
    const kinds = c.messages.map((m) => m.type);
    expect(kinds[0]).toBe('subscribed');
  });
});

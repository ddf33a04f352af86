import { CHANNEL_NAMES } from '@ns/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type GatewayUnderTest, launchGateway, type Msg, RawWs, stopAllGateways } from '@ns/testkit';
import { metric, publish, subscribers, threatData } from './support/http.js';

// Subscription and connection churn against the real gateway: every count returns to zero and the
// process keeps no memory or file descriptors for what is gone.

let gw: GatewayUnderTest;

beforeAll(async () => {
  gw = await launchGateway({ env: { NS_AUTH: 'none', NS_CLIENT_MESSAGE_RATE: '100000', NS_IP_CONNECT_RATE: '100000' }, inspect: true });
});
afterAll(async () => {
  await stopAllGateways();
});

const allZero = async () => Object.values(await subscribers(gw.url)).every((n) => n === 0);

/** Sends `n` subscribe/unsubscribe messages, `window` in flight at a time, and waits for every reply. */
async function churnSubscriptions(c: RawWs, n: number, window = 200): Promise<Msg[]> {
  const replies: Msg[] = [];
  for (let start = 0; start < n; start += window) {
    const ids: string[] = [];
    for (let i = start; i < Math.min(n, start + window); i++) {
      const channel = CHANNEL_NAMES[Math.floor(i / 2) % CHANNEL_NAMES.length] as string;
      const id = `m${i}`;
      ids.push(id);
      c.send(i % 2 === 0 ? { type: 'subscribe', id, channel } : { type: 'unsubscribe', id, channel });
    }
    for (const id of ids) replies.push(await c.next((m) => m.id === id));
  }
  return replies;
}

/** Opens `n` connections subscribed to three channels, then drops them: half close, half reset. */
async function churnConnections(n: number): Promise<void> {
  const batch = 50;
  for (let start = 0; start < n; start += batch) {
    const opened = await Promise.all(Array.from({ length: Math.min(batch, n - start) }, () => RawWs.connect(gw.port, { path: '/ws?subscribe=threats,status,alerts' })));
    await Promise.all(opened.map((c) => c.next((m) => m.type === 'subscribed' && m.channel === 'alerts')));
    opened.forEach((c, i) => {
      if (i % 2 === 0) c.socket.end(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8])); // close frame 1000
      else c.socket.resetAndDestroy();
    });
    await Promise.all(opened.map((c) => c.closed));
  }
}

describe('subscription churn', () => {
  it('answers 10,000 subscribe/unsubscribe messages in order and ends with zero subscriptions', async () => {
    const c = await RawWs.connect(gw.port);
    await churnSubscriptions(c, 1_000); // warm-up: JIT, first allocations
    const heapBefore = await gw.inspector!.heapUsedMiB();
    const replies = await churnSubscriptions(c, 10_000);
    expect(replies.filter((r) => r.type === 'subscribed').length).toBe(5_000);
    expect(replies.filter((r) => r.type === 'unsubscribed').length).toBe(5_000);
    expect(replies.filter((r) => r.type === 'error')).toEqual([]);
    expect(await allZero()).toBe(true);
    // The connection is still fully usable.
    expect(await c.request({ type: 'subscribe', channel: 'threats' })).toMatchObject({ type: 'subscribed' });
    const { body } = await publish(gw.url, { type: 'threat.new', data: threatData(1) });
    expect(await c.next((m) => m.id === body.results[0].id)).toMatchObject({ channel: 'threats' });
    c.destroy();
    await eventually('subscriptions back to 0', allZero);
    expect(await gw.inspector!.heapUsedMiB()).toBeLessThan(heapBefore + 4);
  });
});

describe('connection churn', () => {
  it('frees every connection, subscription and file descriptor of 600 clients that come and go', async () => {
    await churnConnections(100); // warm-up
    await eventually('connections back to 0', async () => (await metric(gw.url, 'ns_ws_connections')) === 0);
    const fdsBefore = gw.openFds();
    const heapBefore = await gw.inspector!.heapUsedMiB();
    const watcher = await RawWs.connect(gw.port, { path: '/ws?subscribe=threats' });
    await watcher.next((m) => m.type === 'subscribed');
    const publishing = (async () => {
      for (let i = 0; i < 50; i++) await publish(gw.url, { type: 'threat.new', data: threatData(i) });
    })();
    await churnConnections(600);
    await publishing;
    // The steady client saw every event, in order, while 600 others came and went.
    await eventually('watcher received 50 events', () => watcher.events('threats').length === 50);
    const seqs = watcher.events('threats').map((e) => e.seq as number);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => (seqs[0] as number) + i));
    watcher.destroy();
    await eventually('connections back to 0', async () => (await metric(gw.url, 'ns_ws_connections')) === 0);
    expect(await allZero()).toBe(true);
    // A few more HTTP keep-alive connections of this test's own fetch pool may be open; 600 leaked
    // sockets would not hide in that margin.
    await eventually('file descriptors back to the baseline', () => gw.openFds() <= fdsBefore + 4);
    expect(await gw.inspector!.heapUsedMiB()).toBeLessThan(heapBefore + 4);
  });
});

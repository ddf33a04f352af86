import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayUnderTest, launchGateway, type Msg, RawWs, stopAllGateways } from '@ns/testkit';
import { metric, publish } from './support/http.js';

// What a client can make the gateway send by asking again. Before the fix, every anonymous
// re-subscribe to `status` resent the whole latest-per-key snapshot: 10 clients looping on a 136 KB
// snapshot drew 53 MB/s.

const clients: RawWs[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});
afterAll(async () => {
  await stopAllGateways();
});

const RATE = 256 * 1024; // the default NS_REPLAY_BYTES_PER_S
const BURST = 4 * RATE;

describe('re-subscribe loops on a latest-per-key snapshot (defaults, anonymous)', () => {
  let gw: GatewayUnderTest;
  // One snapshot's frames: 40 status events of ~3.5 KB data plus their envelopes.
  const snapshotBytes = 40 * 3_700;
  beforeAll(async () => {
    // The default posture (anonymous clients read status), and a message rate that is not the limit here.
    gw = await launchGateway({ env: { NS_CLIENT_MESSAGE_RATE: '10000' } });
    // A ~140 KB snapshot: 40 components with 3.5 KB status messages, published from loopback.
    const events = Array.from({ length: 40 }, (_, i) => ({
      type: 'status.update',
      data: { component: `component-${i}`, status: 'degraded', message: `${i} `.padEnd(3_500, 'm') },
    }));
    expect((await publish(gw.url, { events })).status).toBe(202);
  });

  it('serves the first snapshot in full, then refuses re-subscribes beyond the budget with rate_limited', async () => {
    const c = await RawWs.connect(gw.port);
    clients.push(c);
    const first = await c.request({ type: 'subscribe', channel: 'status' });
    expect(first).toMatchObject({ type: 'subscribed', replayed: 40 });
    const bytesAtStart = c.socket.bytesRead;
    const started = performance.now();
    const replies: Msg[] = [];
    for (let i = 0; i < 100; i++) replies.push(await c.request({ type: 'subscribe', channel: 'status' }));
    const elapsedS = (performance.now() - started) / 1000;
    // Everything that came back during the loop: subscribed/error replies and the snapshots.
    const received = c.socket.bytesRead - bytesAtStart;
    const served = replies.filter((r) => r.type === 'subscribed').length;
    const refused = replies.filter((r) => r.type === 'error');
    expect(served + refused.length).toBe(100);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r).toMatchObject({ code: 'rate_limited', details: { channel: 'status' } });
      expect(r.details.retry_after_ms).toBeGreaterThan(0);
    }
    // The budget's own bound: the burst, the rate over the loop's duration, and the one snapshot that
    // may overdraw it (plus ~200 bytes of reply per request). Unbounded, this was 100 snapshots (~14 MB).
    expect(received).toBeLessThanOrEqual(BURST + RATE * elapsedS + snapshotBytes + 100 * 200);
    expect(await metric(gw.url, 'ns_replays_refused_total')).toBeGreaterThanOrEqual(refused.length);
    // A refused re-subscribe leaves the current subscription alone: live updates keep coming.
    const live = c.messages.length;
    expect((await publish(gw.url, { type: 'status.update', data: { component: 'component-0', status: 'healthy' } })).status).toBe(202);
    const update = await c.next((m) => m.type === 'status.update' && m.data.status === 'healthy', live);
    expect(update.data.component).toBe('component-0');
  });

  it('serves the snapshot again once the client waits as told', async () => {
    const c = await RawWs.connect(gw.port);
    clients.push(c);
    let reply = await c.request({ type: 'subscribe', channel: 'status' });
    for (let i = 0; i < 50 && reply.type === 'subscribed'; i++) reply = await c.request({ type: 'subscribe', channel: 'status' });
    expect(reply).toMatchObject({ type: 'error', code: 'rate_limited' });
    await new Promise((resolve) => setTimeout(resolve, reply.details.retry_after_ms as number));
    expect(await c.request({ type: 'subscribe', channel: 'status' })).toMatchObject({ type: 'subscribed', replayed: 40 });
  });

  it('does not charge a subscribe that replays nothing (a lossless channel without since)', async () => {
    const c = await RawWs.connect(gw.port);
    clients.push(c);
    // system is lossless: without `since` it starts live, so re-subscribing costs nothing.
    for (let i = 0; i < 30; i++) expect(await c.request({ type: 'subscribe', channel: 'system' })).toMatchObject({ type: 'subscribed', replayed: 0 });
  });
});

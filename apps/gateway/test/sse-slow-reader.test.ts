import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type GatewayUnderTest, launchGateway, stopAllGateways } from '@ns/testkit';
import { metric, publish, threatData } from './hardening/support/http.js';
import { SseReader } from './support/sse-reader.js';

// Server-Sent Events readers that stop reading, against the real gateway: each is closed as a slow
// consumer once its 1 MiB cap is reached — with a last `error` (slow_consumer) after what was already
// flushed — while readers that keep up receive every event.

let gw: GatewayUnderTest;

beforeAll(async () => {
  gw = await launchGateway({ env: { NS_AUTH: 'none', NS_IP_CONNECT_RATE: '1000' } });
});
afterAll(async () => {
  await stopAllGateways();
});

const SLOW = 4;
const BATCH = 25;
// ~60 KB per event.
const bigThreat = (i: number) => ({ type: 'threat.new', data: threatData(i, { indicators: Array.from({ length: 60 }, (_, k) => `ioc-${k}-${'z'.repeat(980)}`) }) });

describe('SSE readers that stop reading', () => {
  it('are closed with a last slow_consumer error while the others receive every event', async () => {
    const slow = await Promise.all(Array.from({ length: SLOW }, () => SseReader.open(gw.port, '/v1/stream?channels=threats,system')));
    const readers = await Promise.all(Array.from({ length: 2 }, () => SseReader.open(gw.port, '/v1/stream?channels=threats,system')));
    for (const r of [...slow, ...readers]) await r.next((m) => m.type === 'subscribed' && m.channel === 'system');
    for (const r of slow) r.pause();
    let published = 0;
    let resumed = false;
    while (published < 300) {
      const events = Array.from({ length: BATCH }, (_, i) => bigThreat(published + i));
      expect((await publish(gw.url, { events })).status).toBe(202);
      published += BATCH;
      // Read again before the server's close timeout (5 s) destroys the stream, so the last error,
      // queued behind the flushed events, can still be seen.
      if (!resumed && (await metric(gw.url, 'ns_slow_consumer_closes_total')) === SLOW) {
        for (const r of slow) r.resume();
        resumed = true;
      }
    }
    await eventually('every slow stream closed', async () => (await metric(gw.url, 'ns_slow_consumer_closes_total')) === SLOW, 30_000);
    if (!resumed) for (const r of slow) r.resume();
    await Promise.all(slow.map((r) => r.ended));
    for (const r of slow) {
      const seqs = r.events('threats').map((e) => e.seq as number);
      expect(seqs.length).toBeLessThan(published);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    }
    // A reader that resumed within the close timeout found the final error after the flushed events.
    if (resumed) {
      for (const r of slow) expect(r.messages.at(-1)?.msg).toMatchObject({ type: 'error', code: 'slow_consumer', details: { close_code: 4008 } });
    }
    for (const r of readers) {
      await eventually('a reader received every event', () => r.events('threats').length === published, 30_000);
      expect(r.events('threats').map((e) => e.seq)).toEqual(Array.from({ length: published }, (_, i) => i + 1));
      r.close();
    }
    await eventually('streams back to 0', async () => (await metric(gw.url, 'ns_connections', { transport: 'sse' })) === 0);
  });
});

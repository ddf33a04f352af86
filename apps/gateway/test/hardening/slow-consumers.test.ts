import { CLOSE_CODES } from '@ns/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type GatewayUnderTest, launchGateway, RawWs, stopAllGateways } from '@ns/testkit';
import { metric, publish, threatData } from './support/http.js';

// Clients that never read, against the real gateway: each is closed with 4008 once its buffer cap
// (1 MiB) is reached, the process's memory stays bounded however much is published, and clients that
// keep up receive every event.

let gw: GatewayUnderTest;

beforeAll(async () => {
  gw = await launchGateway({ env: { NS_AUTH: 'none', NS_IP_CONNECT_RATE: '1000' } });
});
afterAll(async () => {
  await stopAllGateways();
});

const SLOW = 20;
const BATCH = 50;
// ~60 KB per event: 50 events are ~3 MB per client per batch.
const bigThreat = (i: number) => ({ type: 'threat.new', data: threatData(i, { indicators: Array.from({ length: 60 }, (_, k) => `ioc-${k}-${'z'.repeat(980)}`) }) });

describe('clients that never read', () => {
  // 36 MB through the gateway to two readers and twenty paused clients: over 30 s at load 35 in a
  // whole-suite run on the shared 2-core machine.
  it('are closed with 4008 while the process stays within a bounded RSS and readers get everything', { timeout: 180_000 }, async () => {
    const slow = await Promise.all(Array.from({ length: SLOW }, () => RawWs.connect(gw.port, { path: '/ws?subscribe=threats' })));
    const readers = await Promise.all(Array.from({ length: 2 }, () => RawWs.connect(gw.port, { path: '/ws?subscribe=threats' })));
    for (const c of [...slow, ...readers]) await c.next((m) => m.type === 'subscribed');
    for (const c of slow) c.socket.pause();
    const rssBefore = gw.rssMiB();
    let rssPeak = rssBefore;
    let published = 0;
    let publishedBytes = 0;
    // ~36 MB in all: buffering it for every slow client would take ~720 MB.
    let resumed = false;
    while (published < 600) {
      const events = Array.from({ length: BATCH }, (_, i) => bigThreat(published + i));
      publishedBytes += JSON.stringify(events).length;
      expect((await publish(gw.url, { events })).status).toBe(202);
      published += BATCH;
      rssPeak = Math.max(rssPeak, gw.rssMiB());
      // A closed slow client must start reading again before the server's close timeout (5 s)
      // destroys its socket, or the 4008 close frame still queued behind the flushed data is lost;
      // on a loaded machine the rest of the publishing can take longer than that.
      if (!resumed && (await metric(gw.url, 'ns_slow_consumer_closes_total')) === SLOW) {
        for (const c of slow) c.socket.resume();
        resumed = true;
      }
    }
    expect(resumed).toBe(true);
    expect(await metric(gw.url, 'ns_slow_consumer_closes_total')).toBe(SLOW);
    expect(SLOW * publishedBytes).toBeGreaterThan(600 * 1024 * 1024);
    expect(rssPeak - rssBefore).toBeLessThan(150);
    // Reading again, each slow client found what was flushed before the close, then the 4008 close frame.
    expect(await Promise.all(slow.map((c) => c.closed))).toEqual(Array<number>(SLOW).fill(CLOSE_CODES.SLOW_CONSUMER));
    for (const c of slow) {
      const seqs = c.events('threats').map((e) => e.seq as number);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    }
    for (const c of readers) {
      await eventually('a reader received every event', () => c.events('threats').length === published, 30_000);
      expect(c.events('threats').at(-1)?.seq).toBe(published);
      c.destroy();
    }
    await eventually('connections back to 0', async () => (await metric(gw.url, 'ns_ws_connections')) === 0);
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, startRedisServer, uniquePrefix, type TestRedisServer } from '../support/redis-gateways.js';
import { clientFrame, eventually, type GatewayUnderTest, launchGateway, OPCODE, RawWs, stopAllGateways } from '@ns/testkit';

// A client streams 60 KB messages while its first subscribe waits on a stopped (SIGSTOP) Redis: the
// messages behind it must not pile up in the gateway. Measured before the fix: 550 MB held in 4 s.

const MiB = 1024 * 1024;
const clients: RawWs[] = [];
let redis: TestRedisServer | undefined;
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});
afterAll(async () => {
  await stopAllGateways();
  await redis?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A valid subscribe of ~60 KB: a status filter of 256 long component names. */
function bigSubscribe(n: number): Buffer {
  const components = Array.from({ length: 256 }, (_, i) => `c${n}-${i}-`.padEnd(230, 'x'));
  return clientFrame(OPCODE.TEXT, JSON.stringify({ type: 'subscribe', id: `big${n}`, channel: 'status', filter: { components } }));
}

describe.skipIf(!hasRedisServer)('inbound backlog while a subscribe waits on a stopped Redis', () => {
  let gw: GatewayUnderTest;
  beforeAll(async () => {
    redis = await startRedisServer();
    // A message rate high enough that only the backlog cap can stop the stream.
    gw = await launchGateway({
      env: { NS_AUTH: 'none', NS_ENGINE: 'redis', NS_REDIS_URL: redis.url, NS_REDIS_PREFIX: uniquePrefix(), NS_CLIENT_MESSAGE_RATE: '100000' },
    });
  });

  it('stops reading from the client at the cap (memory bounded), and carries on once Redis answers', async () => {
    const c = await RawWs.connect(gw.port);
    const neighbour = await RawWs.connect(gw.port);
    clients.push(c, neighbour);
    expect(await c.request({ type: 'subscribe', channel: 'status' })).toMatchObject({ type: 'subscribed' });
    const rssBefore = gw.rssMiB();
    const pid = redis?.pid as number;
    process.kill(pid, 'SIGSTOP');
    let written = 0;
    let stalled = false;
    try {
      // Up to 1,500 messages (~90 MB); stop as soon as the gateway stops taking bytes for 500 ms.
      for (let n = 0; n < 1_500 && !stalled; n++) {
        const frame = bigSubscribe(n);
        written += frame.length;
        if (!c.write(frame)) {
          const drained = await Promise.race([new Promise<boolean>((resolve) => c.socket.once('drain', () => resolve(true))), sleep(500).then(() => false)]);
          stalled = !drained;
        }
      }
      const accepted = written - c.socket.writableLength;
      const rssGrowth = gw.rssMiB() - rssBefore;
      // The gateway holds at most 32 messages / 256 KiB; the rest sits in kernel socket buffers or
      // stays with the client.
      expect(stalled).toBe(true);
      expect(accepted).toBeLessThan(24 * MiB);
      expect(rssGrowth).toBeLessThan(48);
      // Other connections are served meanwhile.
      expect(await neighbour.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // Reading resumes: everything the client wrote is taken and answered, in order.
    await eventually('the client’s backlog drained', () => c.socket.writableLength === 0, 60_000);
    expect(await c.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(c.closeCode).toBeUndefined();
  }, 90_000);
});

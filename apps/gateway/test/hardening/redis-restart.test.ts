import { afterAll, describe, expect, it } from 'vitest';
import { eventually, type GatewayUnderTest, hasRedisServer, launchGateway, RawWs, startRedisServer, stopAllGateways, type TestRedisServer } from '@ns/testkit';
import { metric, publish, threatData } from './support/http.js';

// The hardening angle on Redis restarts (the delivery guarantees themselves are the Redis issue's
// acceptance tests): three crash/restart cycles of Redis under continuous publishing and client churn.
// The gateway never answers anything but 202 or 503, never closes a connected client, delivers every
// acknowledged event once, and ends with no leaked connections or descriptors.

let redis: TestRedisServer | undefined;
afterAll(async () => {
  await stopAllGateways();
  await redis?.close();
});

const readyz = async (gw: GatewayUnderTest) => (await fetch(`${gw.url}/readyz`)).status;

describe.skipIf(!hasRedisServer)('Redis crashing and restarting three times under load', () => {
  it('keeps clients connected, answers only 202 or 503, delivers what it acknowledged once, and leaks nothing', async () => {
    redis = await startRedisServer();
    const gw = await launchGateway({
      env: { NS_AUTH: 'none', NS_ENGINE: 'redis', NS_REDIS_URL: redis.url, NS_REDIS_PREFIX: `hardening-restart-${process.pid}:`, NS_IP_CONNECT_RATE: '1000' },
    });
    const steady = await Promise.all(Array.from({ length: 5 }, () => RawWs.connect(gw.port, { path: '/ws?subscribe=threats' })));
    for (const c of steady) await c.next((m) => m.type === 'subscribed');
    const fdsBefore = gw.openFds();
    const rssBefore = gw.rssMiB();

    // A publisher that never stops, one event at a time, recording every answer.
    const statuses: number[] = [];
    const acknowledged: string[] = [];
    let publishing = true;
    const publisher = (async () => {
      for (let i = 0; publishing; i++) {
        const id = `r-${i}`;
        const res = await publish(gw.url, { type: 'threat.new', id, data: threatData(i) }).catch(() => ({ status: 0, body: {} }));
        statuses.push(res.status);
        if (res.status === 202) acknowledged.push(id);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    // Clients that come and go meanwhile, some subscribing while Redis is away.
    let churning = true;
    const churnErrors: unknown[] = [];
    const churner = (async () => {
      while (churning) {
        try {
          const c = await RawWs.connect(gw.port, { path: '/ws?subscribe=threats,status' });
          await c.next((m) => m.type === 'subscribed' || m.type === 'error');
          c.destroy();
        } catch (err) {
          churnErrors.push(err);
        }
      }
    })();

    for (let cycle = 0; cycle < 3; cycle++) {
      const acked = acknowledged.length;
      await eventually('publishing while Redis is up', () => acknowledged.length >= acked + 20, 20_000);
      await redis.kill();
      await eventually('readiness fails', async () => (await readyz(gw)) === 503);
      const refused = statuses.filter((s) => s === 503).length;
      await eventually('publishes refused while Redis is down', () => statuses.filter((s) => s === 503).length >= refused + 3);
      await redis.start();
      await eventually('ready again', async () => (await readyz(gw)) === 200, 20_000);
    }
    const acked = acknowledged.length;
    await eventually('publishing after the last restart', () => acknowledged.length >= acked + 20, 20_000);
    publishing = false;
    churning = false;
    await publisher;
    await churner;

    expect(new Set(statuses)).toEqual(new Set([202, 503]));
    expect(churnErrors).toEqual([]);
    for (const c of steady) {
      expect(c.closeCode).toBeUndefined();
      expect(c.socket.destroyed).toBe(false);
      await eventually('every acknowledged event delivered', () => acknowledged.every((id) => c.messages.some((m) => m.id === id)), 20_000);
      const ids = c.events('threats').map((e) => e.id as string);
      expect(new Set(ids).size).toBe(ids.length); // no duplicates
      // Nothing refused with 503 was delivered.
      expect(ids.every((id) => acknowledged.includes(id))).toBe(true);
      c.destroy();
    }
    expect(await metric(gw.url, 'ns_ready')).toBe(1);
    await eventually('connections back to 0', async () => (await metric(gw.url, 'ns_ws_connections')) === 0);
    // Redis connections are replaced, not accumulated, across three reconnects.
    await eventually('descriptors back to the baseline', () => gw.openFds() <= fdsBefore + 4);
    expect(gw.rssMiB() - rssBefore).toBeLessThan(60);
    expect(gw.child.exitCode).toBeNull();
  });
});

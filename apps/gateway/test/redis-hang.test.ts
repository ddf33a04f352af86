import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, stopAllGateways, TestClient } from '@ns/testkit';
import {
  hasRedisServer,
  publish,
  readyStatus,
  startRedisGateway,
  startRedisServer,
  threat,
  uniquePrefix,
  until,
  type TestRedisServer,
} from './support/redis-gateways.js';
import { jsonOf } from './support/json.js';

// Redis stopped with SIGSTOP, not killed: its connections stay open and simply go silent. The
// gateway must fail readiness within 2 s, answer publishes that were in flight 503 with
// `outcome: "unknown"` and the ids it assigned, and after SIGCONT deliver each event once even when
// the publisher retries with those ids.

let redis: TestRedisServer;
let gw: GatewayProcess;
let stopped = false;
const sockets: TestClient[] = [];

const alert = (id: string) => ({ type: 'alert.new', id, data: { id, severity: 'critical', message: 'High threat detected', timestamp: 1764115200.1 } });

describe.skipIf(!hasRedisServer)('a hung Redis (SIGSTOP) under the real gateway', () => {
  beforeEach(async () => {
    redis = await startRedisServer();
    gw = await startRedisGateway(redis.url, uniquePrefix());
  });

  afterEach(async () => {
    if (stopped) redis.resume();
    stopped = false;
    for (const s of sockets.splice(0)) s.close();
    await stopAllGateways();
    await redis.close();
  });

  it('fails readiness within 2 s, answers in-flight publishes 503 outcome unknown with their ids, and delivers each event once after SIGCONT and a retry', { timeout: 60_000 }, async () => {
    const client = await TestClient.open(gw.wsUrl);
    sockets.push(client);
    for (const c of ['alerts', 'threats']) expect(await client.subscribe(c)).toMatchObject({ type: 'subscribed' });
    expect((await publish(gw.url, alert('warm-up'))).status).toBe(202);

    const t0 = performance.now();
    redis.pause();
    stopped = true;
    // Sent at once, so both reach Redis before the gateway can notice it hung: their outcome is unknown.
    const inFlight = Promise.all([publish(gw.url, alert('alert_123')), publish(gw.url, { type: 'threat.new', data: threat('x').data })]);
    await until('/readyz to fail', async () => (await readyStatus(gw.url)) === 503, 10_000);
    expect(performance.now() - t0).toBeLessThan(2000);
    const readyz = await fetch(`${gw.url}/readyz`);
    expect((await jsonOf(readyz)).error).toMatchObject({ code: 'unavailable', details: { engine: 'down' } });

    const [withId, withoutId] = await inFlight;
    expect(withId.status).toBe(503);
    expect(withId.json.error).toMatchObject({ code: 'unavailable', details: { outcome: 'unknown', ids: ['alert_123'] } });
    expect(withoutId.status).toBe(503);
    expect(withoutId.json.error.details).toMatchObject({ outcome: 'unknown', ids: [expect.stringMatching(/^evt_/)] });
    const assigned = withoutId.json.error.details.ids[0] as string;
    // Once the gateway knows Redis hung, a publish is refused without being sent: no outcome in doubt.
    const refused = await publish(gw.url, alert('refused'));
    expect(refused.status).toBe(503);
    expect(refused.json.error.details).toBeUndefined();
    expect(refused.json.error.message).toMatch(/nothing was published/);

    redis.resume();
    stopped = false;
    await until('/readyz to recover', async () => (await readyStatus(gw.url)) === 200, 20_000);
    // The publisher retries with the ids it was given (the assigned one included): duplicates.
    const retried = await publish(gw.url, { events: [alert('alert_123'), { type: 'threat.new', id: assigned, data: threat('x').data }] });
    expect(retried.status).toBe(202);
    expect(retried.json.results).toEqual([
      { id: 'alert_123', channel: 'alerts', seq: 2, duplicate: true },
      { id: assigned, channel: 'threats', seq: 1, duplicate: true },
    ]);
    const marker = await publish(gw.url, threat('marker'));
    expect(marker.status).toBe(202);
    await client.next((m) => m.id === 'marker');
    await client.next((m) => m.id === 'alert_123');
    expect(client.events('alerts').map((e) => e.id)).toEqual(['warm-up', 'alert_123']);
    expect(client.events('threats').map((e) => e.id)).toEqual([assigned, 'marker']);
  });
});

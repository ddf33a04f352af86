import { CLOSE_CODES } from '@ns/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, stopAllGateways, TestClient } from '@ns/testkit';
import {
  hasRedisServer,
  notice,
  publish,
  readyStatus,
  redisCommand,
  startRedisGateway,
  startRedisServer,
  uniquePrefix,
  until,
  type TestRedisServer,
} from './support/redis-gateways.js';

let redis: TestRedisServer;
let a: GatewayProcess;
let b: GatewayProcess;
const sockets: TestClient[] = [];

async function open(gw: GatewayProcess): Promise<TestClient> {
  const s = await TestClient.open(gw.wsUrl);
  sockets.push(s);
  return s;
}

async function metric(gw: GatewayProcess, name: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.split(' ')[1]);
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe.skipIf(!hasRedisServer)('a gateway that missed more of a lossless channel than Redis keeps', () => {
  beforeEach(async () => {
    redis = await startRedisServer();
    // Instance A logs in as its own Redis user, so the test can shut A alone out of Redis.
    await redisCommand(redis, 'ACL', 'SETUSER', 'gateway-a', 'on', '>a-password', '~*', '&*', '+@all');
    const prefix = uniquePrefix();
    const aUrl = `redis://gateway-a:a-password@127.0.0.1:${redis.port}`;
    [a, b] = await Promise.all([startRedisGateway(aUrl, prefix), startRedisGateway(redis.url, prefix)]);
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await stopAllGateways();
    await redis.close();
  });

  it('closes that channel\'s clients with 4008 instead of a silent seq jump; they resume told recovered:false', { timeout: 60_000 }, async () => {
    const reader = await open(a);
    const head = await reader.subscribe('system');
    const bystander = await open(a);
    await bystander.subscribe('alerts');
    const before = ids('before', 5);
    expect((await publish(b.url, { events: before.map(notice) })).status).toBe(202);
    await reader.next((m) => m.id === before.at(-1));

    // A loses Redis (its user disabled and its connections killed) while B publishes 300 notices:
    // three times what the `system` channel's history keeps (100).
    await redisCommand(redis, 'ACL', 'SETUSER', 'gateway-a', 'off');
    await redisCommand(redis, 'CLIENT', 'KILL', 'USER', 'gateway-a');
    await until('A to notice it lost Redis', async () => (await readyStatus(a.url)) === 503);
    for (let batch = 0; batch < 3; batch++) {
      expect((await publish(b.url, { events: ids(`away-${batch}`, 100).map(notice) })).status).toBe(202);
    }
    expect(reader.ws.readyState).toBe(reader.ws.OPEN);

    await redisCommand(redis, 'ACL', 'SETUSER', 'gateway-a', 'on');
    // Either the connection closes, or (the failure this guards against) A hands it what history
    // still holds, jumping over the lost seqs.
    const outcome = await Promise.race([
      reader.closed.then((closed) => ({ closed })),
      reader.next((m) => m.channel === 'system' && (m.seq as number) > 5).then((jumped) => ({ jumped: jumped.seq })),
    ]);
    expect(outcome).toEqual({ closed: { code: CLOSE_CODES.SLOW_CONSUMER, reason: 'events lost: resume with since' } });
    // Everything before the loss, nothing after it: no jump from seq 5 to the next event A could read.
    expect(reader.events('system').map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    // A connection that reads another channel is not disturbed.
    expect(bystander.ws.readyState).toBe(bystander.ws.OPEN);

    await until('A to be ready again', async () => (await readyStatus(a.url)) === 200);
    const resumed = await open(a);
    const reply = await resumed.subscribe('system', { since: { epoch: head.epoch, seq: 5 } });
    expect(reply).toMatchObject({ type: 'subscribed', channel: 'system', epoch: head.epoch, seq: 305, recovered: false });
    expect(await metric(a, 'ns_loss_closes_total')).toBe(1);
    expect(await metric(a, 'ns_redis_lost_events_total')).toBeGreaterThanOrEqual(100);
    expect(await metric(b, 'ns_redis_lost_events_total')).toBe(0);

    const live = await publish(b.url, notice('after'));
    expect(await resumed.next((m) => m.id === 'after')).toMatchObject({ seq: 306, epoch: head.epoch });
    expect(live.json.results[0].seq).toBe(306);
  });
});

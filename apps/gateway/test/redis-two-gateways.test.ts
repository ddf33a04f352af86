import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, stopAllGateways, TestClient } from '@ns/testkit';
import { hasRedisServer, publish, startRedisGateway, startRedisServer, threat, uniquePrefix, type TestRedisServer } from './support/redis-gateways.js';
import { getJson } from './support/json.js';

let redis: TestRedisServer;
let a: GatewayProcess;
let b: GatewayProcess;
const sockets: TestClient[] = [];

async function client(gw: GatewayProcess): Promise<TestClient> {
  const s = await TestClient.open(gw.wsUrl);
  sockets.push(s);
  return s;
}

/** Publishes `ids` as threats, alternating batch sizes, and returns the seqs the gateway answered. */
async function publishThreats(gw: GatewayProcess, ids: string[]): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < ids.length; ) {
    const batch = ids.slice(i, i + (i % 2 === 0 ? 1 : 7));
    const res = await publish(gw.url, batch.length === 1 ? threat(batch[0] as string) : { events: batch.map((id) => threat(id)) });
    expect(res.status).toBe(202);
    seqs.push(...res.json.results.map((r: { seq: number }) => r.seq));
    i += batch.length;
  }
  return seqs;
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe.skipIf(!hasRedisServer)('two gateway processes sharing one Redis (NS_ENGINE=redis)', () => {
  beforeEach(async () => {
    redis = await startRedisServer();
    const prefix = uniquePrefix();
    [a, b] = await Promise.all([startRedisGateway(redis.url, prefix), startRedisGateway(redis.url, prefix)]);
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await stopAllGateways();
    await redis.close();
  });

  it('delivers to a client on A, in seq order, the events published to B', async () => {
    const onA = await client(a);
    const head = await onA.subscribe('threats');
    expect(head).toMatchObject({ type: 'subscribed', seq: 0 });

    const sent = ids('b', 60);
    const seqs = await publishThreats(b, sent);
    expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));

    await onA.next((m) => m.id === sent.at(-1));
    const got = onA.events('threats');
    expect(got.map((e) => e.id)).toEqual(sent);
    expect(got.map((e) => e.seq)).toEqual(seqs);
    expect(new Set(got.map((e) => e.epoch))).toEqual(new Set([head.epoch]));
  });

  it('numbers events published to both instances in one global sequence per channel', async () => {
    const onA = await client(a);
    const onB = await client(b);
    await onA.subscribe('threats');
    await onB.subscribe('threats');
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const id = `x-${i}`;
      sent.push(id);
      const res = await publish(i % 2 === 0 ? a.url : b.url, threat(id));
      expect(res.json.results[0].seq).toBe(i + 1);
    }
    await Promise.all([onA.next((m) => m.id === 'x-19'), onB.next((m) => m.id === 'x-19')]);
    for (const s of [onA, onB]) expect(s.events('threats').map((e) => [e.id, e.seq])).toEqual(sent.map((id, i) => [id, i + 1]));
  });

  it('lets a client that left A resume on B with `since`: exactly the missed events, then live, no dup, no gap', async () => {
    const first = await client(a);
    const head = await first.subscribe('threats');
    const before = ids('before', 10);
    await publishThreats(b, before);
    const last = await first.next((m) => m.id === before.at(-1));
    const cursor = { epoch: last.epoch, seq: last.seq };
    expect(cursor).toEqual({ epoch: head.epoch, seq: 10 });
    first.close();

    // Missed while away, published to both instances.
    const missed = ids('missed', 15);
    await publishThreats(a, missed.slice(0, 8));
    await publishThreats(b, missed.slice(8));

    const resumed = await client(b);
    const reply = await resumed.subscribe('threats', { since: cursor });
    expect(reply).toMatchObject({ type: 'subscribed', channel: 'threats', epoch: cursor.epoch, seq: 25, recovered: true, replayed: 15 });
    const live = ids('live', 5);
    await publishThreats(a, live);
    await resumed.next((m) => m.id === live.at(-1));

    const got = resumed.events('threats');
    expect(got.map((e) => e.id)).toEqual([...missed, ...live]);
    expect(got.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 11 + i));
    // The replayed events come after the `subscribed` reply, never before it.
    expect(resumed.messages.findIndex((m) => m.type === 'subscribed')).toBeLessThan(resumed.messages.findIndex((m) => m.id === missed[0]));
  });

  it('serves the shared history and channel heads from either instance', async () => {
    await publishThreats(a, ids('h', 12));
    const [fromA, fromB] = await Promise.all(
      [a, b].map(async (gw) => getJson(`${gw.url}/v1/channels/threats/history?since_seq=4&limit=5`)),
    );
    expect(fromB).toEqual(fromA);
    expect(fromA.events.map((e: { seq: number }) => e.seq)).toEqual([5, 6, 7, 8, 9]);
    const heads = await Promise.all(
      [a, b].map(async (gw) => {
        const { channels } = (await (await fetch(`${gw.url}/v1/channels`)).json()) as { channels: { name: string; epoch: string; seq: number }[] };
        return channels.find((c) => c.name === 'threats');
      }),
    );
    expect(heads[0]).toMatchObject({ seq: 12, epoch: fromA.epoch });
    expect(heads[1]).toMatchObject({ seq: 12, epoch: fromA.epoch });
  });

  it('exports the Redis engine counters as ns_redis_* on /metrics', async () => {
    await publishThreats(b, ids('m', 3));
    const text = await (await fetch(`${a.url}/metrics`)).text();
    const value = (name: string) => Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1]);
    // A heard B's two append batches (1 event, then 2) on pub/sub.
    expect(value('ns_redis_pubsub_messages_total')).toBe(2);
    expect(value('ns_redis_up')).toBe(1);
    expect(value('ns_redis_resyncs_total')).toBe(1);
    for (const name of ['ns_redis_gap_reads_total', 'ns_redis_gap_events_recovered_total', 'ns_redis_lost_events_total', 'ns_loss_closes_total']) {
      expect(value(name)).toBe(0);
    }
  });
});

import { NsError, type ChannelName } from '@ns/contracts';
import { engineContract } from '@ns/event-bus/testing';
import { hasRedisServer, redisCommand, redisServerMajor, SHARDED_PUBSUB_SINCE, startRedisCluster, type TestRedisCluster } from '@ns/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisEngine, RedisKeys } from '../src/index.js';
import { Collector, DATA, EnginePool, pending, stateIs, uniquePrefix } from './fixtures.js';

// A real Redis Cluster of three masters on loopback ports (cluster-enabled redis-servers joined by
// `redis-cli --cluster create`), reached through `redis+cluster://` with sharded pub/sub.
describe.skipIf(!hasRedisServer)('RedisEngine on a Redis Cluster', () => {
  let cluster: TestRedisCluster;
  const pool = new EnginePool();

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  }, 60_000);
  afterEach(() => pool.closeAll());
  afterAll(async () => {
    await cluster?.close();
  });

  it('runs a redis-server with sharded pub/sub (Redis >= 7)', async () => {
    expect(await redisServerMajor(cluster.nodes[0] as (typeof cluster.nodes)[number])).toBeGreaterThanOrEqual(SHARDED_PUBSUB_SINCE);
  });

  describe('the engine contract', () => {
    engineContract('RedisEngine on a Redis Cluster', (options) => RedisEngine.connect({ url: cluster.url, prefix: uniquePrefix(), ...options }, 20_000));
  });

  it('keeps each channel in one slot, spreads channels over the masters, and publishes on shard channels only', async () => {
    const prefix = uniquePrefix();
    const engine = await pool.open(cluster.url, { prefix });
    expect(engine.cluster).toBe(true);
    const keys = new RedisKeys(prefix, { hashTags: true });
    const channels: ChannelName[] = ['threats', 'alerts', 'status', 'system', 'correlations'];
    const owners = new Set<number>();
    for (const channel of channels) {
      const k = keys.channel(channel);
      const node = await cluster.nodeFor(k.head);
      owners.add(node.port);
      for (const key of [k.hist, k.order, k.topic, keys.idempotency(channel).records]) expect((await cluster.nodeFor(key)).port, key).toBe(node.port);
    }
    expect(owners.size).toBeGreaterThan(1);

    const threats = keys.channel('threats');
    const owner = await cluster.nodeFor(threats.head);
    expect((await redisCommand(owner, 'PUBSUB', 'SHARDCHANNELS')).split('\n')).toContain(threats.topic);
    for (const node of cluster.nodes) expect(await redisCommand(node, 'PUBSUB', 'CHANNELS')).toBe('');
    const collector = new Collector(engine);
    await engine.append([pending('threat.new', DATA.threat(1))]);
    expect(collector.seqs('threats')).toEqual([1]);
  });

  it('stores a batch spanning channels (slots) per channel and delivers all of it', async () => {
    const engine = await pool.open(cluster.url, { prefix: uniquePrefix() });
    const collector = new Collector(engine);
    const results = await engine.append([
      pending('threat.new', DATA.threat(1), { id: 'mix-1' }),
      pending('alert.new', DATA.alert(1), { id: 'mix-2' }),
      pending('threat.new', DATA.threat(2), { id: 'mix-3' }),
      pending('system.notice', DATA.notice(1), { id: 'mix-4' }),
    ]);
    expect(results.map((r) => [r.id, r.channel, r.seq, r.duplicate])).toEqual([
      ['mix-1', 'threats', 1, false],
      ['mix-2', 'alerts', 1, false],
      ['mix-3', 'threats', 2, false],
      ['mix-4', 'system', 1, false],
    ]);
    expect(collector.seqs('threats')).toEqual([1, 2]);
    expect(collector.seqs('alerts')).toEqual([1]);
    // A retry of the whole batch is answered duplicate, part by part.
    const again = await engine.append([pending('threat.new', DATA.threat(1), { id: 'mix-1' }), pending('alert.new', DATA.alert(1), { id: 'mix-2' })]);
    expect(again.map((r) => r.duplicate)).toEqual([true, true]);
  });

  it('stores nothing of a multi-channel batch when one channel part has an id conflict', async () => {
    const engine = await pool.open(cluster.url, { prefix: uniquePrefix() });
    await engine.append([pending('alert.new', DATA.alert(1), { id: 'held' })]);
    const before = await engine.heads();
    const attempt = engine.append([pending('threat.new', DATA.threat(1), { id: 'fresh' }), pending('alert.new', DATA.alert(2), { id: 'held' })]);
    await expect(attempt).rejects.toMatchObject({ code: 'id_conflict' });
    // An id on two channels of one batch is two different events too.
    await expect(engine.append([pending('threat.new', DATA.threat(1), { id: 'twice' }), pending('alert.new', DATA.alert(3), { id: 'twice' })])).rejects.toMatchObject({
      code: 'id_conflict',
    });
    const after = await engine.heads();
    expect(after.threats.seq).toBe(before.threats.seq);
    expect(after.alerts.seq).toBe(before.alerts.seq);
  });

  it('a master killed mid-stream: its appends fail unavailable (outcome unknown), the engine goes down, and after the restart it recovers with a new epoch that readers are told about', { timeout: 90_000 }, async () => {
    const prefix = uniquePrefix();
    const keys = new RedisKeys(prefix, { hashTags: true });
    const victim = await cluster.nodeFor(keys.channel('threats').head);
    const publisher = await pool.open(cluster.url, { prefix });
    const reader = await pool.open(cluster.url, { prefix });
    const collector = new Collector(reader);
    const acknowledged: string[] = [];
    const failed: { id: string; err: NsError }[] = [];
    let n = 0;
    let stop = false;
    const stream = (async () => {
      while (!stop && n < 5_000) {
        const id = `t-${++n}`;
        try {
          await publisher.append([pending('threat.new', DATA.threat(n), { id })]);
          acknowledged.push(id);
        } catch (err) {
          failed.push({ id, err: err as NsError });
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    })();
    await collector.until(() => collector.of('threats').length >= 20);
    const cursor = { epoch: collector.of('threats')[0]?.epoch as string, seq: collector.of('threats').length };
    // Stopped first, so that one append is surely on the wire, unanswered, when the process dies: a
    // plain kill may land between two appends, and then every failure is a known refusal.
    victim.pause();
    const inflight = publisher.append([pending('threat.new', DATA.threat(0), { id: 'in-flight' })]).then(
      () => undefined,
      (err: unknown) => err as NsError,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await victim.kill();
    await stateIs(reader, 'down');
    const lost = await inflight;
    expect(lost).toBeInstanceOf(NsError);
    expect(lost?.code).toBe('unavailable');
    expect(lost?.details).toEqual({ outcome: 'unknown', ids: ['in-flight'] });
    await new Promise<void>((resolve) => {
      const check = () => (failed.length > 0 ? resolve() : setTimeout(check, 20));
      check();
    });
    await victim.start();
    await cluster.healthy();
    await stateIs(reader, 'ready');
    await stateIs(publisher, 'ready');
    const resumed = acknowledged.length;
    await collector.until(() => acknowledged.length >= resumed + 5);
    stop = true;
    await stream;

    // Every failure of the stream said unavailable, and either that nothing was published (refused
    // while down) or that the outcome is unknown, naming its id.
    expect(failed.length).toBeGreaterThan(0);
    for (const { id, err } of failed) {
      expect(err).toBeInstanceOf(NsError);
      expect(err.code).toBe('unavailable');
      if (err.details === undefined) expect(err.message).toMatch(/nothing was published/);
      else expect(err.details).toEqual({ outcome: 'unknown', ids: [id] });
    }
    // Told the outcome is unknown, the publisher sends it again with the same id: the master came back
    // empty, so it is stored now, once.
    const retried = await publisher.append([pending('threat.new', DATA.threat(0), { id: 'in-flight' })]);
    expect(retried[0]?.duplicate).toBe(false);
    expect(await publisher.append([pending('threat.new', DATA.threat(0), { id: 'in-flight' })])).toMatchObject([{ duplicate: true }]);
    // The master came back empty: the channel starts over under a new epoch, announced to a reader
    // resuming from before (recovered: false), never passed off as continuous.
    const after = await reader.readSince('threats', cursor);
    expect(after.epoch).not.toBe(cursor.epoch);
    expect(after.recovered).toBe(false);
    // Events acknowledged after the restart are delivered, in seq order of their epoch.
    const live = collector.of('threats').filter((e) => e.epoch === after.epoch);
    expect(live.map((e) => e.seq)).toEqual(live.map((_, i) => (live[0]?.seq ?? 1) + i));
    expect(live.length).toBeGreaterThanOrEqual(5);
  });
});

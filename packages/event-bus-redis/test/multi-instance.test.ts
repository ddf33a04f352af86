import { EventBus, type BusEvent } from '@ns/event-bus';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Collector, DATA, field, EnginePool, pending, stateIs, threats, uniquePrefix } from './fixtures.js';
import { appendWithLostPublish, killSubscriber } from './lost-publish.js';
import { hasRedisServer, startRedisServer, type TestRedisServer } from '@ns/testkit';

describe.skipIf(!hasRedisServer)('RedisEngine instances sharing one Redis', () => {
  let server: TestRedisServer;
  let admin: Redis;
  const pool = new EnginePool();
  const buses: EventBus[] = [];
  let prefix: string;

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.close();
  });
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
    await pool.closeAll();
  });

  /** Two instances A and B under one fresh prefix. */
  const pair = async () => {
    prefix = uniquePrefix();
    const a = await pool.open(server.url, { prefix, redis: { connectionName: `${prefix}A` } });
    const b = await pool.open(server.url, { prefix, redis: { connectionName: `${prefix}B` } });
    return { a, b };
  };

  it('delivers on A, in seq order, the events appended on B', async () => {
    const { a, b } = await pair();
    const onA = new Collector(a);
    for (let i = 0; i < 5; i++) await b.append(threats(20, i * 20));
    await onA.count('threats', 100);
    expect(onA.seqs('threats')).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(onA.of('threats').map((e) => field(e, 'n'))).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('assigns one global seq per channel across instances appending concurrently', async () => {
    const { a, b } = await pair();
    const onA = new Collector(a);
    const onB = new Collector(b);
    const appends = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).append(threats(5, i * 5)));
    const results = (await Promise.all(appends)).flat();
    const seqs = results.map((r) => r.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    await onA.count('threats', 200);
    await onB.count('threats', 200);
    expect(onA.seqs('threats')).toEqual(seqs);
    expect(onB.seqs('threats')).toEqual(seqs);
    expect(new Set(onA.of('threats').map((e) => e.id)).size).toBe(200);
  });

  it('recognises a repeated id appended on another instance', async () => {
    const { a, b } = await pair();
    const onA = new Collector(a);
    const [first] = await a.append([pending('alert.new', DATA.alert(1), { id: 'alert-9' })]);
    const [again] = await b.append([pending('alert.new', DATA.alert(1), { id: 'alert-9' })]);
    expect(first).toEqual({ id: 'alert-9', channel: 'alerts', seq: 1, duplicate: false });
    expect(again).toEqual({ id: 'alert-9', channel: 'alerts', seq: 1, duplicate: true });
    await b.append([pending('alert.new', DATA.alert(2))]);
    await onA.count('alerts', 2);
    expect(onA.seqs('alerts')).toEqual([1, 2]);
  });

  it('repairs a lost pub/sub message from the stream before delivering the next event', async () => {
    const { a, b } = await pair();
    const onA = new Collector(a);
    await b.append(threats(2));
    expect(await appendWithLostPublish(admin, prefix, threats(3, 2))).toEqual([3, 4, 5]);
    await b.append(threats(1, 5));
    await onA.count('threats', 6);
    expect(onA.seqs('threats')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(onA.of('threats').map((e) => field(e, 'n'))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reports events trimmed before it could repair them, before delivering anything after them', async () => {
    const { a, b } = await pair();
    const onA = new Collector(a);
    const losses: { loss: unknown; deliveredBefore: number }[] = [];
    a.onLoss((loss) => losses.push({ loss, deliveredBefore: onA.events.length }));
    await b.append(threats(2));
    // 1500 events A never hears of: the threats Stream (MAXLEN ~ 1000) no longer holds the first ones.
    for (let i = 0; i < 1500; i += 250) await appendWithLostPublish(admin, prefix, threats(250, i));
    await b.append(threats(1, 1500));
    await onA.until(() => onA.seqs('threats').at(-1) === 1503);
    const seqs = onA.seqs('threats');
    const firstKept = seqs[2] as number;
    const { epoch } = (await a.heads()).threats;
    expect(firstKept).toBeGreaterThan(3);
    expect(firstKept).toBeLessThanOrEqual(1503 - 1000 + 1);
    expect(seqs).toEqual([1, 2, ...Array.from({ length: 1503 - firstKept + 1 }, (_, i) => firstKept + i)]);
    expect(losses).toEqual([{ loss: { channel: 'threats', epoch, fromSeq: 3, toSeq: firstKept - 1 }, deliveredBefore: 2 }]);
    expect(a.stats()).toMatchObject({ lostEvents: firstKept - 3, gapReads: 1, gapEventsRecovered: 1502 - firstKept + 1 });
  });

  it('repairs a gap on a latest channel from the per-key hash', async () => {
    const { a, b } = await pair();
    const onA = new Collector(a);
    await appendWithLostPublish(admin, prefix, [pending('status.update', DATA.status('kafka'))]);
    await b.append([pending('status.update', DATA.status('redis'))]);
    await onA.count('status', 2);
    expect(onA.of('status').map((e) => [e.seq, field(e, 'component')])).toEqual([
      [1, 'kafka'],
      [2, 'redis'],
    ]);
  });

  it('skips a gap on an ephemeral channel, which has nothing to repair from', async () => {
    const { a, b } = await pair();
    const onA = new Collector(a);
    await appendWithLostPublish(admin, prefix, [pending('event.raw', DATA.raw(1))]);
    await b.append([pending('event.raw', DATA.raw(2))]);
    await onA.count('events', 1);
    expect(onA.seqs('events')).toEqual([2]);
  });

  it('catches up, in order, on what was published while its subscriber was disconnected', async () => {
    const { a, b } = await pair();
    const onA = new Collector(a);
    await b.append(threats(2));
    await onA.count('threats', 2);
    await killSubscriber(admin, `${prefix}A`);
    await stateIs(a, 'down');
    // A reconnects after its backoff (>= 100 ms); these land while it is not subscribed.
    await b.append(threats(3, 2));
    await b.append([pending('status.update', DATA.status('kafka'))]);
    await stateIs(a, 'ready');
    await onA.count('threats', 5);
    await onA.count('status', 1);
    expect(onA.seqs('threats')).toEqual([1, 2, 3, 4, 5]);
    await b.append(threats(1, 5));
    await onA.count('threats', 6);
    expect(onA.seqs('threats')).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('delivers every seq exactly once, in order, while its subscriber is cut again and again mid-stream', async () => {
    const { a, b } = await pair();
    const onA = new Collector(a);
    let cutsDone = false;
    let total = 0;
    // B keeps appending until every cut is over, so each cut lands mid-stream.
    const appending = (async () => {
      while (!cutsDone || total < 400) {
        await b.append(threats(5, total));
        total += 5;
        // Paced well under what the ring (1000) holds across one reconnect (~100 ms backoff).
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    for (let cut = 1; cut <= 3; cut++) {
      await onA.until(() => onA.events.length >= cut * 50);
      await killSubscriber(admin, `${prefix}A`);
      await stateIs(a, 'down');
      await stateIs(a, 'ready');
    }
    cutsDone = true;
    await appending;
    await onA.count('threats', total);
    expect(onA.seqs('threats')).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(a.stats()).toMatchObject({ resyncs: 4, lostEvents: 0 });
  });

  it('isolates deployments by key prefix', async () => {
    const { a } = await pair();
    const other = await pool.open(server.url, { prefix: `${prefix}other:` });
    const onOther = new Collector(other);
    const onA = new Collector(a);
    await a.append(threats(3));
    const [r] = await other.append(threats(1));
    expect(r?.seq).toBe(1);
    await onA.count('threats', 3);
    expect(onOther.seqs('threats')).toEqual([1]);
    expect((await other.heads()).threats.seq).toBe(1);
    expect((await a.heads()).threats.seq).toBe(3);
    expect((await other.heads()).threats.epoch).not.toBe((await a.heads()).threats.epoch);
  });

  it('lets a bus on A serve live events and resume cursors for events published on B', async () => {
    const { a, b } = await pair();
    const busA = new EventBus({ engine: a });
    const busB = new EventBus({ engine: b });
    buses.push(busA, busB);
    const live: BusEvent[] = [];
    let liveDone!: () => void;
    const fourLive = new Promise<void>((resolve) => (liveDone = resolve));
    busA.subscribe('threat.*', (e) => {
      if (live.push(e) === 4) liveDone();
    });
    const published = await busB.publish({ type: 'threat.new', data: DATA.threat(0) });
    await busB.publishBatch([
      { type: 'threat.new', data: DATA.threat(1) },
      { type: 'threat.new', data: DATA.threat(2) },
    ]);
    expect(published).toMatchObject({ channel: 'threats', seq: 1 });
    const { epoch } = (await busA.heads()).threats;

    const read = await busA.readSince('threats', { epoch, seq: 1 });
    expect(read).toMatchObject({ recovered: true, seq: 3 });
    expect(read.events.map((e) => e.seq)).toEqual([2, 3]);
    await busB.publish({ type: 'threat.new', data: DATA.threat(3) });
    await fourLive;
    expect(live.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(live[0]?.json).toContain(`"epoch":"${epoch}"`);
  });
});

import { NsError, type ChannelName } from '@ns/contracts';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisKeys, type RedisEngineOptions } from '../src/index.js';
import { Collector, DATA, field, EnginePool, pending, threats, uniquePrefix } from './fixtures.js';
import { hasRedisServer, startRedisServer, type TestRedisServer } from '@ns/testkit';

describe.skipIf(!hasRedisServer)('RedisEngine on one Redis', () => {
  let server: TestRedisServer;
  let admin: Redis;
  const pool = new EnginePool();
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
    await pool.closeAll();
  });

  const open = (options: RedisEngineOptions = {}) => {
    prefix = uniquePrefix();
    return pool.open(server.url, { prefix, ...options });
  };

  it('assigns seq from 1 per channel and resolves after its own listeners saw the events', async () => {
    const engine = await open();
    const seen = new Collector(engine);
    const results = await engine.append([...threats(2), pending('system.notice', DATA.notice(0)), ...threats(1, 2)]);
    expect(results.map((r) => [r.channel, r.seq, r.duplicate])).toEqual([
      ['threats', 1, false],
      ['threats', 2, false],
      ['system', 1, false],
      ['threats', 3, false],
    ]);
    expect(seen.seqs('threats')).toEqual([1, 2, 3]);
    expect(seen.seqs('system')).toEqual([1]);
  });

  it('delivers envelopes whose JSON keeps the wire field order and full float precision', async () => {
    const engine = await open();
    const seen = new Collector(engine);
    const [r] = await engine.append([pending('threat.new', { ...DATA.threat(0), indicators: [] }, { id: 'evt-1', ts: 1764115200.123456 })]);
    const event = seen.events[0];
    const heads = await engine.heads();
    expect(r?.seq).toBe(1);
    expect(event?.json).toBe(
      `{"type":"threat.new","channel":"threats","id":"evt-1","seq":1,"epoch":"${heads.threats.epoch}","ts":1764115200.123456,` +
        `"data":{"source_ip":"192.168.1.100","threat_score":8.5,"threat_level":"high","timestamp":1764115200.123456,"n":0,"indicators":[]}}`,
    );
    expect(JSON.parse(event?.json as string)).toEqual(event?.envelope);
    const page = await engine.history('threats');
    expect(page.events[0]?.json).toBe(event?.json);
  });

  it('returns the original result for a repeated id within the window, storing and delivering nothing', async () => {
    const engine = await open();
    const seen = new Collector(engine);
    const first = await engine.append([pending('alert.new', DATA.alert(1), { id: 'alert-1' })]);
    const again = await engine.append([
      pending('alert.new', DATA.alert(1), { id: 'alert-1' }),
      pending('alert.new', DATA.alert(2), { id: 'alert-2' }),
      pending('alert.new', DATA.alert(2), { id: 'alert-2' }),
    ]);
    expect(first).toEqual([{ id: 'alert-1', channel: 'alerts', seq: 1, duplicate: false }]);
    expect(again).toEqual([
      { id: 'alert-1', channel: 'alerts', seq: 1, duplicate: true },
      { id: 'alert-2', channel: 'alerts', seq: 2, duplicate: false },
      { id: 'alert-2', channel: 'alerts', seq: 2, duplicate: true },
    ]);
    expect(seen.seqs('alerts')).toEqual([1, 2]);
    expect((await engine.heads()).alerts.seq).toBe(2);
  });

  it('remembers ids for the window only: an expired record is ignored, swept, and the event stored again', async () => {
    const keys = new RedisKeys(prefix);
    const engine = await open();
    await engine.append([pending('alert.new', DATA.alert(1), { id: 'alert-1' })]);
    const [sec, usec] = (await admin.time()) as unknown as [string, string];
    // "<channel>:<seq>:<type>:<digest>:<expires_ms>:<epoch>"
    const record = (await admin.hget(keys.idempotencyIds, 'alert-1')) as string;
    expect(record).toMatch(/^alerts:1:alert\.new:[\w-]{22}:\d+:\S+$/);
    const expires = Number(record.split(':')[4]);
    expect(expires - (Number(sec) * 1000 + Number(usec) / 1000)).toBeGreaterThan(4 * 60 * 1000);
    expect(expires - (Number(sec) * 1000 + Number(usec) / 1000)).toBeLessThanOrEqual(5 * 60 * 1000);

    const short = await open({ idempotencyWindowMs: 50 });
    const shortKeys = new RedisKeys(short.prefix);
    await short.append([pending('alert.new', DATA.alert(1), { id: 'alert-1' })]);
    expect(await admin.hexists(shortKeys.idempotencyIds, 'alert-1')).toBe(1);
    await new Promise((r) => setTimeout(r, 120)); // past the 50 ms window by Redis's clock too
    const [again] = await short.append([pending('alert.new', DATA.alert(1), { id: 'alert-1' })]);
    expect(again).toEqual({ id: 'alert-1', channel: 'alerts', seq: 2, duplicate: false });
    await new Promise((r) => setTimeout(r, 120));
    await short.append([pending('system.notice', DATA.notice(1))]);
    expect(await admin.lrange(shortKeys.idempotencyOrder, 0, -1)).toEqual([expect.stringMatching(/^evt_/)]); // alert-1 swept
    expect(await admin.hlen(shortKeys.idempotencyIds)).toBe(1);
  });

  it('stores a repeated id again when the epoch of its original result was renewed (that event is gone)', async () => {
    const engine = await open();
    await engine.append([pending('alert.new', DATA.alert(1), { id: 'alert-1' }), pending('alert.new', DATA.alert(2))]);
    await admin.del(new RedisKeys(prefix).channel('alerts').hist);
    const [again] = await engine.append([pending('alert.new', DATA.alert(1), { id: 'alert-1' })]);
    expect(again).toEqual({ id: 'alert-1', channel: 'alerts', seq: 1, duplicate: false });
    const [third] = await engine.append([pending('alert.new', DATA.alert(1), { id: 'alert-1' })]);
    expect(third).toEqual({ id: 'alert-1', channel: 'alerts', seq: 1, duplicate: true });
  });

  it('records minted ids without looking them up, so a retry that names them is a duplicate', async () => {
    const engine = await open();
    const seen = new Collector(engine);
    const minted = pending('alert.new', DATA.alert(1));
    expect(minted.idempotent).toBe(false);
    await engine.append([minted]);
    expect(await admin.hexists(new RedisKeys(prefix).idempotencyIds, minted.id)).toBe(1);
    const [retry] = await engine.append([{ ...minted, idempotent: true }]);
    expect(retry).toEqual({ id: minted.id, channel: 'alerts', seq: 1, duplicate: true });
    const [reused] = await engine.append([{ ...minted, data: DATA.alert(2), idempotent: true }]).catch((e: unknown) => [e]);
    expect(reused).toMatchObject({ code: 'id_conflict' });
    await engine.append([pending('alert.new', DATA.alert(3), { id: 'marker' })]);
    await seen.count('alerts', 2);
    expect(seen.of('alerts').map((e) => e.id)).toEqual([minted.id, 'marker']);
  });

  it('keeps at most maxIdempotencyKeys ids, in two keys whatever their number, forgetting the oldest first', async () => {
    // The default is 100 000, as MemoryEngine's; 10 000 keeps this test quick with the same code path.
    const engine = await open({ maxIdempotencyKeys: 10_000 });
    const keys = new RedisKeys(prefix);
    const dbBefore = await admin.dbsize();
    const event = (i: number) => pending('event.raw', DATA.raw(i), { id: `raw-${i}` });
    for (let b = 0; b < 12; b++) await engine.append(Array.from({ length: 1000 }, (_, i) => event(b * 1000 + i)));
    expect(await admin.hlen(keys.idempotencyIds)).toBe(10_000);
    expect(await admin.llen(keys.idempotencyOrder)).toBe(10_000);
    // No key per id (12 000 before): the idempotency hash and list are all the ids added.
    expect((await admin.dbsize()) - dbBefore).toBe(2);
    expect([await admin.hexists(keys.idempotencyIds, 'raw-2000'), await admin.hexists(keys.idempotencyIds, 'raw-1999')]).toEqual([1, 0]);
    expect(await engine.append([event(11_999)])).toEqual([{ id: 'raw-11999', channel: 'events', seq: 12_000, duplicate: true }]);
    expect(await engine.append([event(1_999)])).toEqual([{ id: 'raw-1999', channel: 'events', seq: 12_001, duplicate: false }]);
  });

  it('keeps the last N of a ring channel and answers readSince like the memory engine', async () => {
    const engine = await open();
    // system keeps the last 100.
    await engine.append(Array.from({ length: 105 }, (_, i) => pending('system.notice', DATA.notice(i))));
    const all = await engine.history('system');
    expect(all.events.map((e) => e.envelope.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 6));
    const { epoch } = all;

    const recovered = await engine.readSince('system', { epoch, seq: 100 });
    expect(recovered).toMatchObject({ epoch, seq: 105, recovered: true });
    expect(recovered.events.map((e) => e.envelope.seq)).toEqual([101, 102, 103, 104, 105]);

    const edge = await engine.readSince('system', { epoch, seq: 5 });
    expect(edge.recovered).toBe(true);
    expect(edge.events).toHaveLength(100);

    const trimmed = await engine.readSince('system', { epoch, seq: 4 });
    expect(trimmed.recovered).toBe(false);
    expect(trimmed.events.map((e) => e.envelope.seq)).toEqual(all.events.map((e) => e.envelope.seq));

    expect(await engine.readSince('system', { epoch, seq: 105 })).toMatchObject({ recovered: true, events: [] });
    expect(await engine.readSince('system', { epoch: 'other', seq: 100 })).toMatchObject({ recovered: false, seq: 105 });
    expect((await engine.readSince('system', { epoch, seq: 106 })).recovered).toBe(false);
    const fresh = await engine.readSince('system', undefined);
    expect(fresh.recovered).toBe(false);
    expect(fresh.events).toHaveLength(100);
  });

  it('pages history forward with sinceSeq and limit, and answers the newest limit without sinceSeq', async () => {
    const engine = await open();
    await engine.append(threats(10));
    const seqs = async (options: { sinceSeq?: number; limit?: number }) =>
      (await engine.history('threats', options)).events.map((e) => e.envelope.seq);
    expect(await seqs({ sinceSeq: 3, limit: 4 })).toEqual([4, 5, 6, 7]);
    expect(await seqs({ sinceSeq: 8 })).toEqual([9, 10]);
    expect(await seqs({ limit: 3 })).toEqual([8, 9, 10]);
    expect(await seqs({ limit: 0 })).toEqual([]);
    expect(await seqs({ sinceSeq: 10 })).toEqual([]);
    expect((await engine.history('threats', { limit: 2 })).seq).toBe(10);
  });

  it('keeps the latest value per component, in seq order, for latest channels', async () => {
    const engine = await open();
    await engine.append([
      pending('status.update', DATA.status('kafka', 1)),
      pending('status.update', DATA.status('redis', 2)),
      pending('status.update', DATA.status('kafka', 3)),
      pending('status.update', DATA.status('ml', 4)),
    ]);
    const snapshot = await engine.readSince('status', undefined);
    expect(snapshot).toMatchObject({ seq: 4, recovered: false });
    expect(snapshot.events.map((e) => [e.envelope.seq, field(e.envelope, 'component')])).toEqual([
      [2, 'redis'],
      [3, 'kafka'],
      [4, 'ml'],
    ]);
    const since = await engine.readSince('status', { epoch: snapshot.epoch, seq: 2 });
    expect(since.recovered).toBe(true);
    expect(since.events.map((e) => e.envelope.seq)).toEqual([3, 4]);
    expect((await engine.readSince('status', { epoch: 'old', seq: 2 })).events).toHaveLength(3);
    const page = await engine.history('status', { limit: 2 });
    expect(page.events.map((e) => e.envelope.seq)).toEqual([3, 4]);
    expect((await engine.history('status', { sinceSeq: 2, limit: 1 })).events.map((e) => e.envelope.seq)).toEqual([3]);
  });

  it('evicts the least recently updated component beyond the key cap', async () => {
    const engine = await open();
    // metrics keeps 10 000 components; one more evicts the oldest.
    for (let b = 0; b < 10; b++) {
      await engine.append(Array.from({ length: 1000 }, (_, i) => pending('metrics.update', DATA.metrics(`c${b * 1000 + i}`))));
    }
    await engine.append([pending('metrics.update', DATA.metrics('c0', 1)), pending('metrics.update', DATA.metrics('new'))]);
    const snapshot = await engine.readSince('metrics', undefined);
    const components = snapshot.events.map((e) => field(e.envelope, 'component'));
    expect(components).toHaveLength(10_000);
    expect(components).not.toContain('c1');
    expect(components.slice(-2)).toEqual(['c0', 'new']);
    expect(await admin.hlen(new RedisKeys(prefix).channel('metrics').hist)).toBe(10_000);
  });

  it('keeps no history for ephemeral channels but still sequences and delivers them', async () => {
    const engine = await open();
    const seen = new Collector(engine);
    await engine.append([pending('event.raw', DATA.raw(1)), pending('event.raw', DATA.raw(2))]);
    expect(seen.seqs('events')).toEqual([1, 2]);
    const { epoch } = await engine.history('events');
    expect(await engine.history('events')).toEqual({ epoch, seq: 2, events: [] });
    expect(await engine.readSince('events', { epoch, seq: 2 })).toEqual({ epoch, seq: 2, recovered: true, events: [] });
    expect(await engine.readSince('events', { epoch, seq: 1 })).toEqual({ epoch, seq: 2, recovered: false, events: [] });
  });

  it('reports every channel head, creating epochs for channels never written', async () => {
    const engine = await open();
    await engine.append(threats(3));
    const heads = await engine.heads();
    expect(Object.keys(heads).sort()).toEqual(['alerts', 'correlations', 'events', 'metrics', 'status', 'system', 'threats']);
    expect(heads.threats.seq).toBe(3);
    expect(heads.alerts.seq).toBe(0);
    expect(await engine.heads()).toEqual(heads);
  });

  it('renews the epoch of a channel whose stream vanished, so readers are told recovered:false', async () => {
    const engine = await open();
    const seen = new Collector(engine);
    await engine.append(threats(3));
    const before = (await engine.heads()).threats;
    await admin.del(new RedisKeys(prefix).channel('threats').hist);
    const read = await engine.readSince('threats', before);
    expect(read.epoch).not.toBe(before.epoch);
    expect(read).toMatchObject({ seq: 0, recovered: false, events: [] });
    const [r] = await engine.append(threats(1));
    expect(r?.seq).toBe(1);
    await seen.count('threats', 4);
    expect(seen.of('threats').map((e) => [e.epoch === before.epoch, e.seq])).toEqual([
      [true, 1],
      [true, 2],
      [true, 3],
      [false, 1],
    ]);
  });

  it('renews the epoch when the head key vanished', async () => {
    const engine = await open();
    await engine.append([pending('status.update', DATA.status('kafka'))]);
    const before = (await engine.heads()).status;
    await admin.del(new RedisKeys(prefix).channel('status').head);
    const after = (await engine.heads()).status;
    expect(after.epoch).not.toBe(before.epoch);
    expect(after.seq).toBe(0);
    expect((await engine.readSince('status', before)).events).toEqual([]);
  });

  it('rejects an unknown channel before storing anything', async () => {
    const engine = await open();
    const bad = { ...pending('threat.new', DATA.threat(0)), channel: 'nope' as ChannelName };
    await expect(engine.append([pending('threat.new', DATA.threat(0)), bad])).rejects.toMatchObject({ code: 'unknown_channel' });
    await expect(engine.readSince('nope' as ChannelName, undefined)).rejects.toBeInstanceOf(NsError);
    await expect(engine.history('nope' as ChannelName)).rejects.toMatchObject({ code: 'unknown_channel' });
    expect((await engine.heads()).threats.seq).toBe(0);
  });

  it('answers an empty append with no results', async () => {
    const engine = await open();
    expect(await engine.append([])).toEqual([]);
  });

  it('stops delivering to a detached listener and isolates a throwing one', async () => {
    const engine = await open();
    const kept = new Collector(engine);
    const dropped = new Collector(engine);
    engine.subscribe(() => {
      throw new Error('listener bug');
    });
    dropped.detach();
    await engine.append(threats(2));
    expect(kept.seqs('threats')).toEqual([1, 2]);
    expect(dropped.events).toEqual([]);
  });

  it('rejects every call with unavailable once closed, and close is idempotent', async () => {
    const engine = await open();
    const states: string[] = [];
    engine.onStateChange((s) => states.push(s));
    await engine.close();
    await engine.close();
    expect(engine.state).toBe('down');
    expect(states).toEqual(['down']);
    await expect(engine.append(threats(1))).rejects.toMatchObject({ code: 'unavailable' });
    await expect(engine.heads()).rejects.toMatchObject({ code: 'unavailable' });
    await expect(engine.waitUntilReady()).rejects.toMatchObject({ code: 'unavailable' });
  });
});

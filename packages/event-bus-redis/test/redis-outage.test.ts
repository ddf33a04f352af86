import { freePort, hasRedisServer, startRedisServer, type TestRedisServer } from '@ns/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisEngine } from '../src/index.js';
import { Collector, DATA, EnginePool, pending, stateIs, threats, uniquePrefix } from './fixtures.js';

describe.skipIf(!hasRedisServer)('RedisEngine when Redis goes away', () => {
  let server: TestRedisServer;
  const pool = new EnginePool();

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(async () => {
    await pool.closeAll();
    if (server.pid === undefined) await server.start();
  });

  it('goes down, rejects appends at once with unavailable, and after a restart without persistence starts a new epoch that readers see as recovered:false', async () => {
    const prefix = uniquePrefix();
    const a = await pool.open(server.url, { prefix });
    const b = await pool.open(server.url, { prefix });
    const onA = new Collector(a);
    const states: string[] = [];
    a.onStateChange((s) => states.push(s));

    await b.append(threats(3));
    await onA.count('threats', 3);
    const before = (await a.heads()).threats;

    await server.kill();
    await Promise.all([stateIs(a, 'down'), stateIs(b, 'down')]);
    await expect(b.append(threats(1, 3))).rejects.toMatchObject({ code: 'unavailable' });
    await expect(a.readSince('threats', before)).rejects.toMatchObject({ code: 'unavailable' });
    await expect(a.heads()).rejects.toMatchObject({ code: 'unavailable' });

    await server.start();
    await Promise.all([stateIs(a, 'ready'), stateIs(b, 'ready')]);
    expect(states).toEqual(['down', 'ready']);

    const read = await a.readSince('threats', before);
    expect(read.epoch).not.toBe(before.epoch);
    expect(read).toMatchObject({ seq: 0, recovered: false, events: [] });

    const [r] = await b.append(threats(1, 4));
    expect(r?.seq).toBe(1);
    await onA.count('threats', 4);
    // Never a silent gap: the old epoch ended at 3, the new one starts at 1.
    expect(onA.of('threats').map((e) => [e.epoch, e.seq])).toEqual([
      [before.epoch, 1],
      [before.epoch, 2],
      [before.epoch, 3],
      [read.epoch, 1],
    ]);
  });

  it('keeps every epoch gap-free on another instance when Redis is killed and restarted under a continuous publish', async () => {
    const prefix = uniquePrefix();
    const a = await pool.open(server.url, { prefix });
    const b = await pool.open(server.url, { prefix });
    const onA = new Collector(a);
    // Ids of the appends that resolved, in order. The seq alone does not say which epoch it belongs
    // to, and B's own tail is no witness either: when B's subscriber connection drops between the
    // store and the local delivery, the append still resolves (the event is stored and B's resync
    // delivers it), so acknowledgements are matched to A's deliveries by id.
    const acknowledged: { id: string; seq: number }[] = [];
    const rejections: string[] = [];
    let stop = false;
    const publishing = (async () => {
      for (let i = 0; !stop; i++) {
        const batch = threats(1, i);
        try {
          const [r] = await b.append(batch);
          acknowledged.push({ id: batch[0]?.id as string, seq: r?.seq as number });
        } catch (err) {
          rejections.push(String((err as { code?: unknown }).code ?? (err as Error).message));
          await stateIs(b, 'ready');
        }
      }
    })();
    await onA.count('threats', 50);
    await server.kill();
    await stateIs(a, 'down');
    await server.start();
    await stateIs(a, 'ready');
    const restartedAt = onA.of('threats').length;
    await onA.until(() => onA.of('threats').length >= restartedAt + 50);
    stop = true;
    await publishing;
    const lastAck = acknowledged.at(-1) as { id: string };
    await onA.until(() => onA.of('threats').some((e) => e.id === lastAck.id));

    expect(new Set(rejections)).toEqual(new Set(['unavailable']));
    const events = onA.of('threats');
    const epochs = [...new Set(events.map((e) => e.epoch))];
    expect(epochs).toHaveLength(2);
    for (const epoch of epochs) {
      const seqs = events.filter((e) => e.epoch === epoch).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    }
    // Epochs never interleave: the old one ends, then the new one starts at 1.
    const switchAt = events.findIndex((e) => e.epoch === epochs[1]);
    expect(events.slice(switchAt).every((e) => e.epoch === epochs[1])).toBe(true);
    expect(events[switchAt]?.seq).toBe(1);
    // Acknowledged appends A saw arrived once, with their acknowledged seq, in order. An append
    // acknowledged just before the kill may be lost with the old epoch (Redis restarted without
    // persistence): that gap is announced by the new epoch. From the first acknowledgement in the new
    // epoch on, every one reached A.
    const byId = new Map(events.map((e) => [e.id, e]));
    expect(byId.size).toBe(events.length);
    const seen = acknowledged.map((x) => byId.get(x.id));
    const firstNew = seen.findIndex((e) => e?.epoch === epochs[1]);
    expect(firstNew).toBeGreaterThanOrEqual(0);
    expect(seen.slice(firstNew).every((e) => e?.epoch === epochs[1])).toBe(true);
    const delivered = acknowledged.flatMap((x, i) => (seen[i] === undefined ? [] : [{ ack: x.seq, got: seen[i]?.seq, at: events.indexOf(seen[i] as (typeof events)[number]) }]));
    expect(delivered.map((d) => d.got)).toEqual(delivered.map((d) => d.ack));
    expect(delivered.map((d) => d.at)).toEqual(delivered.map((d) => d.at).sort((x, y) => x - y));
    expect(new Set(seen.filter((e) => e !== undefined).map((e) => e?.epoch)).size).toBe(2);
  });

  it('resumes with continuous seqs when only the connections dropped (Redis kept its data)', async () => {
    const prefix = uniquePrefix();
    const a = await pool.open(server.url, { prefix, redis: { connectionName: `${prefix}A` } });
    const b = await pool.open(server.url, { prefix });
    const onA = new Collector(a);
    await b.append(threats(2));
    await onA.count('threats', 2);
    const admin = new Redis(server.url);
    try {
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal');
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    } finally {
      admin.disconnect();
    }
    await Promise.all([stateIs(a, 'down'), stateIs(b, 'down')]);
    await Promise.all([stateIs(a, 'ready'), stateIs(b, 'ready')]);
    await b.append(threats(2, 2));
    await onA.count('threats', 4);
    expect(new Set(onA.of('threats').map((e) => e.epoch)).size).toBe(1);
    expect(onA.seqs('threats')).toEqual([1, 2, 3, 4]);
  });

  it('rejects an append whose reply does not come within the command timeout; a retry with the same id is recognised', async () => {
    const prefix = uniquePrefix();
    const engine = await pool.open(server.url, { prefix, commandTimeoutMs: 150 });
    const pid = server.pid as number;
    process.kill(pid, 'SIGSTOP');
    try {
      await expect(engine.append([pending('alert.new', DATA.alert(1), { id: 'alert-7' })])).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // Found hung (its PING timed out too), the engine is ready again once Redis answers.
    await stateIs(engine, 'ready');
    // The script did run once Redis woke up: the publisher's retry gets the original result.
    const [retry] = await engine.append([pending('alert.new', DATA.alert(1), { id: 'alert-7' })]);
    expect(retry).toEqual({ id: 'alert-7', channel: 'alerts', seq: 1, duplicate: true });
  });

  it('reports down and rejects unavailable while Redis is unreachable from the start', async () => {
    const port = await freePort();
    const engine = pool.track(new RedisEngine({ url: `redis://127.0.0.1:${port}`, maxReconnectDelayMs: 50 }));
    expect(engine.state).toBe('down');
    await expect(engine.append(threats(1))).rejects.toMatchObject({ code: 'unavailable' });
    await expect(engine.waitUntilReady(100)).rejects.toMatchObject({ code: 'unavailable' });
    await expect(RedisEngine.connect({ url: `redis://127.0.0.1:${port}` }, 100)).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('connects with RedisEngine.connect and is ready at once', async () => {
    const engine = pool.track(await RedisEngine.connect({ url: server.url, prefix: uniquePrefix() }));
    expect(engine.state).toBe('ready');
    await engine.waitUntilReady();
    expect(engine.prefix).toMatch(/^t/);
  });
});

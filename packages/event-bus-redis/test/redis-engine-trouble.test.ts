import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisEngine, RedisKeys } from '../src/index.js';
import { Collector, EnginePool, stateIs, threats, uniquePrefix } from './fixtures.js';
import { appendWithLostPublish, killSubscriber } from './lost-publish.js';
import { freePort, hasRedisServer, startRedisServer, type TestRedisServer } from '@ns/testkit';

/** A logger that keeps what it was told. */
function memoryLogger() {
  const lines: { level: 'warn' | 'error'; msg: string | undefined }[] = [];
  let told!: () => void;
  const first = new Promise<void>((resolve) => (told = resolve));
  let waiting: { text: string; resolve: () => void }[] = [];
  const push = (level: 'warn' | 'error', msg: string | undefined) => {
    lines.push({ level, msg });
    told();
    waiting = waiting.filter((w) => (msg?.includes(w.text) ? (w.resolve(), false) : true));
  };
  return {
    lines,
    /** Resolves at the first line. */
    first,
    /** Resolves once a line containing `text` was logged. */
    told: (text: string) =>
      lines.some((l) => l.msg?.includes(text)) ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ text, resolve })),
    debug: () => {},
    info: () => {},
    warn: (_obj: object, msg?: string) => push('warn', msg),
    error: (_obj: object, msg?: string) => push('error', msg),
    said: (text: string) => lines.some((l) => l.msg?.includes(text)),
  };
}

describe.skipIf(!hasRedisServer)('RedisEngine facing bad data and failures', () => {
  let server: TestRedisServer;
  let admin: Redis;
  const pool = new EnginePool();

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

  it('skips and reports a pub/sub message that is not an envelope, and keeps delivering', async () => {
    const prefix = uniquePrefix();
    const logger = memoryLogger();
    const engine = await pool.open(server.url, { prefix, logger });
    const seen = new Collector(engine);
    await admin.publish(new RedisKeys(prefix).channel('threats').topic, 'not an envelope');
    await engine.append(threats(1));
    await seen.count('threats', 1);
    expect(logger.said('unreadable pub/sub message')).toBe(true);
    expect(engine.stats().pubsubMessages).toBeGreaterThanOrEqual(1);
  });

  it('skips and reports a stored entry that is not an envelope, in history and in gap repair', async () => {
    const prefix = uniquePrefix();
    const logger = memoryLogger();
    const a = await pool.open(server.url, { prefix, logger });
    const b = await pool.open(server.url, { prefix });
    const onA = new Collector(a);
    await b.append(threats(2));
    const keys = new RedisKeys(prefix).channel('threats');
    await admin.xadd(keys.hist, '3-0', 'e', '{"broken');
    await admin.hset(keys.head, 'seq', 3);
    await b.append(threats(1, 3));
    await onA.count('threats', 3);
    expect(onA.seqs('threats')).toEqual([1, 2, 4]);
    expect(a.stats().gapReads).toBe(1);
    const page = await a.history('threats');
    expect(page.events.map((e) => e.envelope.seq)).toEqual([1, 2, 4]);
    expect(logger.said('unreadable stored envelope')).toBe(true);
  });

  it('reports a failing listener or state listener without stopping the others', async () => {
    const logger = memoryLogger();
    const engine = await pool.open(server.url, { prefix: uniquePrefix(), logger });
    const seen = new Collector(engine);
    engine.subscribe(() => {
      throw new Error('listener bug');
    });
    const states: string[] = [];
    engine.onStateChange(() => {
      throw new Error('state listener bug');
    });
    engine.onStateChange((s) => states.push(s));
    await engine.append(threats(1));
    expect(seen.seqs('threats')).toEqual([1]);
    await engine.close();
    expect(states).toEqual(['down']);
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      'redis engine: listener failed',
      'redis engine: state listener failed',
    ]);
  });

  it('comes back when only its command connection dropped', async () => {
    const prefix = uniquePrefix();
    const a = await pool.open(server.url, { prefix, redis: { connectionName: `${prefix}A` } });
    const b = await pool.open(server.url, { prefix });
    const onA = new Collector(a);
    await b.append(threats(1));
    const list = (await admin.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string;
    const id = list
      .split('\n')
      .find((l) => l.includes(` name=${prefix}A `))
      ?.match(/^id=(\d+)/)?.[1];
    await admin.call('CLIENT', 'KILL', 'ID', id as string);
    await stateIs(a, 'down');
    await stateIs(a, 'ready');
    await a.append(threats(1, 1));
    await b.append(threats(1, 2));
    await onA.count('threats', 3);
    expect(onA.seqs('threats')).toEqual([1, 2, 3]);
    expect(a.stats().resyncs).toBe(2);
  });

  it('warns once per outage while Redis is unreachable, and rejects a pending waitUntilReady on close', async () => {
    const logger = memoryLogger();
    const engine = pool.track(new RedisEngine({ url: `redis://127.0.0.1:${await freePort()}`, maxReconnectDelayMs: 20, logger }));
    const waiting = engine.waitUntilReady(60_000);
    await logger.first;
    await engine.close();
    await expect(waiting).rejects.toMatchObject({ code: 'unavailable' });
    expect(logger.lines.filter((l) => l.msg?.includes('connection error'))).toHaveLength(1);
  });

  it('re-syncs a channel whose gap repair timed out while the connections stayed up', async () => {
    const prefix = uniquePrefix();
    const logger = memoryLogger();
    const a = await pool.open(server.url, { prefix, logger, commandTimeoutMs: 100 });
    const b = await pool.open(server.url, { prefix });
    const onA = new Collector(a);
    await b.append(threats(2));
    await onA.count('threats', 2);
    await appendWithLostPublish(admin, prefix, threats(2, 2)); // seqs 3, 4 stored, never published
    const keys = new RedisKeys(prefix).channel('threats');
    const [[, [, seq4]]] = (await admin.xrange(keys.hist, '4', '4')) as [[string, [string, string]]];
    // Publish seq 4 and, atomically after it, hold every script for 500 ms: A's gap read times out.
    await admin.multi().publish(keys.topic, seq4).call('CLIENT', 'PAUSE', '500', 'WRITE').exec();
    await logger.told('gap repair read failed');
    expect(onA.seqs('threats')).toEqual([1, 2]);
    expect(a.state).toBe('ready');
    await onA.count('threats', 4);
    expect(onA.seqs('threats')).toEqual([1, 2, 3, 4]);
    expect(logger.lines.filter((l) => l.msg?.includes('gap repair read failed'))).toHaveLength(1);
  });

  it('keeps retrying a resync that Redis does not answer after a reconnect, then becomes ready', async () => {
    const prefix = uniquePrefix();
    const logger = memoryLogger();
    const a = await pool.open(server.url, { prefix, logger, commandTimeoutMs: 100, redis: { connectionName: `${prefix}A` } });
    const b = await pool.open(server.url, { prefix });
    const onA = new Collector(a);
    await b.append(threats(1));
    await onA.count('threats', 1);
    // Cut A's subscriber and hold every script for 800 ms: A reconnects, and its resync reads time out.
    const list = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
    const id = list
      .split('\n')
      .find((l) => l.includes(` name=${prefix}A `))
      ?.match(/^id=(\d+)/)?.[1];
    await admin.multi().call('CLIENT', 'KILL', 'ID', id as string).call('CLIENT', 'PAUSE', '800', 'WRITE').exec();
    await stateIs(a, 'down');
    await logger.told('resync failed');
    expect(a.state).toBe('down');
    await stateIs(a, 'ready');
    await b.append(threats(1, 1));
    await onA.count('threats', 2);
    expect(onA.seqs('threats')).toEqual([1, 2]);
  });

  it('refuses a non-positive idempotency window', () => {
    expect(() => new RedisEngine({ url: server.url, idempotencyWindowMs: 0, redis: { lazyConnect: true } })).toThrow(RangeError);
  });
});

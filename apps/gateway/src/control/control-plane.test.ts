import { Writable } from 'node:stream';
import { eventually, hasRedisServer, redisCommand, startRedisServer, type TestRedisServer } from '@ns/testkit';
import { pino, type Logger } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from './control-plane.js';
import { MemoryControlPlane } from './memory-control-plane.js';
import type { ControlNotice } from './notices.js';
import { RedisControlPlane } from './redis-control-plane.js';

/** A logger whose JSON lines a test can read. */
function capturedLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const revoke: ControlNotice = { kind: 'revoke', target: { jti: 'tok-1' }, expires_at: 2_000_000_000 };
const disconnect: ControlNotice = { kind: 'disconnect', target: { user: 'alice' }, code: 4003, reason: 'disconnected by an administrator' };
const planes: ControlPlane[] = [];
const track = <P extends ControlPlane>(p: P): P => (planes.push(p), p);

afterEach(async () => {
  await Promise.all(planes.splice(0).map((p) => p.close()));
});

describe('MemoryControlPlane', () => {
  it('delivers a notice to the handlers of its kind before broadcast returns, validated', async () => {
    const plane = track(new MemoryControlPlane(capturedLogger().logger));
    const got: ControlNotice[] = [];
    plane.onNotice('revoke', (n) => got.push(n));
    const off = plane.onNotice('disconnect', (n) => got.push(n));
    const pending = plane.broadcast(revoke);
    expect(got).toEqual([revoke]);
    await pending;
    off();
    await plane.broadcast(disconnect);
    expect(got).toEqual([revoke]);
    await expect(plane.broadcast({ ...disconnect, code: 99 } as ControlNotice)).rejects.toThrow(/code/);
  });

  it('keeps records until they expire and refuses a new id past max', async () => {
    const plane = track(new MemoryControlPlane(capturedLogger().logger));
    const now = Date.now();
    expect(await plane.put('things', 'a', '{"n":1}', now + 60_000, 2)).toEqual({ stored: true, count: 1 });
    expect(await plane.put('things', 'b', '{"n":2}', now + 150, 2)).toEqual({ stored: true, count: 2 });
    expect(await plane.put('things', 'c', '{"n":3}', now + 60_000, 2)).toEqual({ stored: false, count: 2 });
    // The same id replaces its record even when full.
    expect(await plane.put('things', 'a', '{"n":4}', now + 90_000, 2)).toEqual({ stored: true, count: 2 });
    expect((await plane.list('things')).map((r) => [r.id, r.value])).toEqual([['b', '{"n":2}'], ['a', '{"n":4}']]);
    await eventually('b expired', async () => (await plane.list('things')).length === 1);
    expect(await plane.put('things', 'c', '{"n":3}', now + 60_000, 2)).toEqual({ stored: true, count: 2 });
    expect(await plane.list('other')).toEqual([]);
  });
});

describe.runIf(hasRedisServer)('RedisControlPlane on a real redis-server', () => {
  let redis: TestRedisServer;
  let prefixes = 0;
  const open = async (prefix: string, logger = capturedLogger().logger): Promise<RedisControlPlane> => {
    const p = track(new RedisControlPlane({ url: redis.url, prefix, logger }));
    await p.start(5_000);
    return p;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis.close();
  });

  it('delivers a notice on the sender at once and on every other instance once', async () => {
    const prefix = `cp${++prefixes}:`;
    const [a, b, other] = await Promise.all([open(prefix), open(prefix), open(`x${prefix}`)]);
    const onA: ControlNotice[] = [];
    const onB: ControlNotice[] = [];
    const onOther: ControlNotice[] = [];
    a.onNotice('revoke', (n) => onA.push(n));
    b.onNotice('revoke', (n) => onB.push(n));
    b.onNotice('disconnect', (n) => onB.push(n));
    other.onNotice('revoke', (n) => onOther.push(n));
    await a.broadcast(revoke);
    expect(onA).toEqual([revoke]);
    await a.broadcast(disconnect);
    await eventually('both notices on B', () => onB.length === 2);
    expect(onB).toEqual([revoke, disconnect]);
    // Its own echo is not handled twice on A; another prefix is another deployment.
    await b.broadcast({ ...revoke, target: { jti: 'tok-2' } });
    await eventually('B notice on A', () => onA.length === 2);
    expect(onA.map((n) => n.kind === 'revoke' && n.target)).toEqual([{ jti: 'tok-1' }, { jti: 'tok-2' }]);
    expect(onOther).toEqual([]);
  });

  it('ignores unknown kinds and invalid frames with a log line', async () => {
    const prefix = `cp${++prefixes}:`;
    const log = capturedLogger();
    const b = await open(prefix, log.logger);
    const got: ControlNotice[] = [];
    b.onNotice('revoke', (n) => got.push(n));
    b.onNotice('disconnect', (n) => got.push(n));
    const channel = `${prefix}control:notices`;
    await redisCommand(redis, 'PUBLISH', channel, JSON.stringify({ from: 'newer', notice: { kind: 'reload', all: true } }));
    await redisCommand(redis, 'PUBLISH', channel, JSON.stringify({ from: 'x', notice: { kind: 'disconnect', target: { user: 'a' }, code: 4003, reason: 'r'.repeat(200) } }));
    await redisCommand(redis, 'PUBLISH', channel, 'not json');
    await redisCommand(redis, 'PUBLISH', channel, JSON.stringify({ from: 'x', notice: revoke }));
    await eventually('the valid notice', () => got.length === 1);
    const ignored = log.lines().filter((l) => l.msg === 'control notice ignored');
    expect(ignored.map((l) => [l.reason, l.kind])).toEqual([
      ['unknown kind', 'reload'],
      [expect.stringMatching(/^invalid disconnect notice: reason/), 'disconnect'],
      ['not JSON', undefined],
    ]);
  });

  it('stores records shared by every instance, bounded by max, removed at expiry with their keys', async () => {
    const prefix = `cp${++prefixes}:`;
    const [a, b] = await Promise.all([open(prefix), open(prefix)]);
    const now = Date.now();
    expect(await a.put('revocations', 'jti:1', '{"n":1}', now + 60_000, 3)).toEqual({ stored: true, count: 1 });
    expect(await b.put('revocations', 'jti:2', '{"n":2}', now + 400, 3)).toEqual({ stored: true, count: 2 });
    expect(await b.put('revocations', 'jti:3', '{"n":3}', now + 30_000, 3)).toEqual({ stored: true, count: 3 });
    expect(await a.put('revocations', 'jti:4', '{"n":4}', now + 30_000, 3)).toEqual({ stored: false, count: 3 });
    const listed = await a.list('revocations');
    expect(listed.map((r) => [r.id, r.value, r.expiresAtMs])).toEqual([
      ['jti:2', '{"n":2}', now + 400],
      ['jti:3', '{"n":3}', now + 30_000],
      ['jti:1', '{"n":1}', now + 60_000],
    ]);
    await eventually('jti:2 expired', async () => (await b.list('revocations')).length === 2);
    expect(await a.put('revocations', 'jti:4', '{"n":4}', now + 500, 3)).toEqual({ stored: true, count: 3 });
    const keys = `{${prefix}control}:revocations:*`;
    expect((await redisCommand(redis, 'KEYS', keys)).split('\n').filter(Boolean).sort()).toEqual([
      `{${prefix}control}:revocations:index`,
      `{${prefix}control}:revocations:records`,
    ]);
    // The keys expire with their last record.
    const ttl = Number(await redisCommand(redis, 'PTTL', `{${prefix}control}:revocations:records`));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await expect(a.list('Bad name')).rejects.toThrow(/collection name/);
  });

  it('calls the resync handlers once the subscription is back after a Redis restart, and fails puts while down', async () => {
    const prefix = `cp${++prefixes}:`;
    const [a, b] = await Promise.all([open(prefix), open(prefix)]);
    let resyncs = 0;
    b.onResync(() => resyncs++);
    await redis.kill();
    await expect(a.put('revocations', 'x', '{}', Date.now() + 1000, 10)).rejects.toThrow();
    await expect(a.broadcast(revoke)).rejects.toThrow();
    await redis.start();
    await eventually('resync after restart', () => resyncs >= 1, 20_000);
    const got: ControlNotice[] = [];
    b.onNotice('revoke', (n) => got.push(n));
    await eventually('a broadcast reaches B again', async () => {
      await a.broadcast(revoke).catch(() => {});
      return got.length > 0;
    }, 20_000, 200);
  });
});

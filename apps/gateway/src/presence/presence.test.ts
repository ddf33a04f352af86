import type { ChannelName } from '@ns/contracts';
import { hasRedisServer, redisCommand, startRedisServer, type TestRedisServer } from '@ns/testkit';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PresenceSink } from './local-presence.js';
import { Presence } from './presence.js';
import { RedisPresenceStore } from './redis-presence-store.js';

// Presence's refresh by change on a real redis-server: what one instance writes (only what changed,
// queued bytes included, everything again after its keys are lost) as another instance reads it.

const logger = pino({ level: 'silent' });
type Sink = PresenceSink & { state: string; bufferedBytes: number };

/** The manager, as presence sees it: sinks, channels, and the change listener. */
function source() {
  const sinks = new Map<string, Sink>();
  const channels = new Map<string, ChannelName[]>();
  const listeners = new Set<(s: PresenceSink) => void>();
  return {
    sinks: () => sinks.values(),
    channelsOf: (s: PresenceSink) => channels.get(s.id) ?? [],
    onSinkChange: (l: (s: PresenceSink) => void) => (listeners.add(l), () => listeners.delete(l)),
    open(id: string, user: string, chs: ChannelName[]): Sink {
      const s: Sink = { id, transport: 'websocket', principal: { id: user, roles: [], permissions: [] }, remoteAddress: '10.0.0.1', openedAt: Date.now(), state: 'open', bufferedBytes: 0 };
      sinks.set(id, s);
      channels.set(id, chs);
      for (const l of listeners) l(s);
      return s;
    },
    close(s: Sink): void {
      s.state = 'closed';
      sinks.delete(s.id);
      channels.delete(s.id);
      for (const l of listeners) l(s);
    },
  };
}

let redis: TestRedisServer;
const open: Presence[] = [];
/** A presence instance on the test Redis, after its first refresh (which waits for the connection). */
async function presence(id: string, src: ReturnType<typeof source> | undefined): Promise<Presence> {
  const store = new RedisPresenceStore({ url: redis.url, prefix: 'pt:', instanceId: id, logger });
  const p = new Presence({ source: src ?? { sinks: () => [], channelsOf: () => [], onSinkChange: () => () => undefined }, store, instanceId: id, logger, refreshMs: 3_600_000 });
  open.push(p);
  await p.refresh();
  return p;
}

describe.skipIf(!hasRedisServer)('Presence on Redis, refreshed by change', () => {
  beforeEach(async () => {
    redis = await startRedisServer();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.close()));
    await redis.close();
  });

  it('writes what changed, queued bytes too, and everything again once its keys are gone', async () => {
    const src = source();
    const a = await presence('gw-a', src);
    const b = await presence('gw-b', undefined);
    const s1 = src.open('c1', 'u1', ['threats']);
    const s2 = src.open('c2', 'u2', ['alerts']);
    await a.refresh();
    const seen = async () => (await b.connections({ limit: 10 })).connections.map((c) => [c.id, c.instance, c.channels, c.queued_bytes]);
    expect(await seen()).toEqual([
      ['c1', 'gw-a', ['threats'], 0],
      ['c2', 'gw-a', ['alerts'], 0],
    ]);
    expect((await b.counts()).threats).toEqual({ connections: 1, users: 1 });

    // Queued bytes change without any change being told: the refresh's pass finds them (power of two below).
    s1.bufferedBytes = 3000;
    await a.refresh();
    expect((await seen())[0]).toEqual(['c1', 'gw-a', ['threats'], 2048]);

    src.close(s2);
    await a.refresh();
    expect(await seen()).toEqual([['c1', 'gw-a', ['threats'], 2048]]);
    expect((await b.counts()).alerts).toEqual({ connections: 0, users: 0 });
    expect(await redisCommand(redis, 'HKEYS', '{pt:presence}:c:gw-a')).toBe('c1');

    // Nothing changed: the entries stay and their TTL is renewed.
    await redisCommand(redis, 'PEXPIRE', '{pt:presence}:m:gw-a', '1000');
    await a.refresh();
    expect(Number(await redisCommand(redis, 'PTTL', '{pt:presence}:m:gw-a'))).toBeGreaterThan(1000);
    expect((await b.channel('threats')).members).toMatchObject([{ user: 'u1', connections: 1 }]);

    // Redis lost this instance's keys (a restart): the next refresh writes everything again.
    await redisCommand(redis, 'DEL', '{pt:presence}:alive:gw-a', '{pt:presence}:m:gw-a', '{pt:presence}:c:gw-a');
    await a.refresh();
    expect(await seen()).toEqual([['c1', 'gw-a', ['threats'], 2048]]);
    expect((await b.counts()).threats).toEqual({ connections: 1, users: 1 });
  });

  it('stops counting a connection an administrator closes at once, before it has closed', async () => {
    const src = source();
    const a = await presence('gw-a', src);
    const s = src.open('c1', 'u1', ['threats']);
    expect((await a.counts()).threats.connections).toBe(1);
    s.state = 'closing';
    expect((await a.counts()).threats.connections).toBe(1);
    a.changed(s);
    expect((await a.counts()).threats.connections).toBe(0);
    expect((await a.locate({ user: 'u1' })).length).toBe(0);
  });
});

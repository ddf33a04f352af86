import { MAX_PRESENCE_MEMBERS } from '@ns/contracts';
import { describe, expect, it } from 'vitest';
import { channelCounts, channelPresence } from './aggregate.js';
import { LocalPresence, type MemberEntry, type PresenceSink } from './local-presence.js';

const entry = (channel: MemberEntry['channel'], user: string | null, connections: number, sinceMs: number, username?: string): MemberEntry => ({
  channel,
  user,
  connections,
  sinceMs,
  ...(username !== undefined && { username }),
});

describe('presence aggregation over instances', () => {
  it('sums connections, counts a user on two instances once and anonymous connections as no user', () => {
    const counts = channelCounts([entry('threats', 'u1', 2, 1), entry('threats', 'u1', 1, 5), entry('threats', 'u2', 1, 3), entry('threats', null, 4, 2), entry('alerts', 'u2', 1, 1)]);
    expect(counts.threats).toEqual({ connections: 8, users: 2 });
    expect(counts.alerts).toEqual({ connections: 1, users: 1 });
    expect(counts.system).toEqual({ connections: 0, users: 0 });
  });

  it('merges a user\'s entries into one member with the earliest since, earliest member first', () => {
    const p = channelPresence('threats', [entry('threats', 'u2', 1, 3000), entry('threats', 'u1', 2, 9000, 'alice'), entry('threats', 'u1', 1, 2000), entry('alerts', 'u3', 1, 1), entry('threats', null, 2, 4000)]);
    expect(p).toEqual({
      channel: 'threats',
      connections: 6,
      users: 2,
      members: [
        { user: 'u1', username: 'alice', connections: 3, since: 2 },
        { user: 'u2', connections: 1, since: 3 },
        { user: null, connections: 2, since: 4 },
      ],
      truncated: false,
    });
  });

  it('lists at most MAX_PRESENCE_MEMBERS members and says so, while the counts cover everyone', () => {
    const many = Array.from({ length: MAX_PRESENCE_MEMBERS + 5 }, (_, i) => entry('threats', `u${i}`, 1, i));
    const p = channelPresence('threats', many);
    expect(p.members).toHaveLength(MAX_PRESENCE_MEMBERS);
    expect(p).toMatchObject({ users: MAX_PRESENCE_MEMBERS + 5, connections: MAX_PRESENCE_MEMBERS + 5, truncated: true });
  });
});

describe('LocalPresence', () => {
  const sink = (id: string, user: string | null, openedAt: number, state = 'open'): PresenceSink => ({
    id,
    transport: 'websocket',
    principal: user === null ? null : { id: user, roles: [], permissions: [] },
    remoteAddress: '10.0.0.1',
    openedAt,
    state,
    bufferedBytes: 7,
  });

  it('dates a channel from the sink\'s opening when first seen with it, and from the scan that found it otherwise', () => {
    const sinks = [sink('c1', 'u1', 1000), sink('c2', null, 1500), sink('c3', 'u1', 1200, 'closing')];
    const channels = new Map<string, ('threats' | 'alerts')[]>([['c1', ['threats']], ['c2', ['threats']], ['c3', ['threats']]]);
    const local = new LocalPresence({ sinks: () => sinks, channelsOf: (s) => channels.get(s.id) ?? [] });
    const first = local.scan(5000);
    expect(first.connections.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect([...first.members.values()]).toEqual([
      { channel: 'threats', user: 'u1', connections: 1, sinceMs: 1000 },
      { channel: 'threats', user: null, connections: 1, sinceMs: 1500 },
    ]);
    channels.set('c1', ['threats', 'alerts']);
    const second = local.scan(9000);
    expect([...second.members.values()].find((m) => m.channel === 'alerts')).toEqual({ channel: 'alerts', user: 'u1', connections: 1, sinceMs: 9000 });
    expect(second.connections[0]).toEqual({ id: 'c1', user: 'u1', remote_address: '10.0.0.1', channels: ['threats', 'alerts'], queued_bytes: 7, connected_at: 1, transport: 'websocket' });
  });
});

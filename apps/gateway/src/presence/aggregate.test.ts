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

  /** A source like the manager: sinks by id, channels by id, and the change listener. */
  function source(...initial: PresenceSink[]) {
    const sinks = new Map(initial.map((s) => [s.id, s]));
    const channels = new Map<string, ('threats' | 'alerts')[]>();
    let listener: ((s: PresenceSink) => void) | undefined;
    return {
      sinks: () => sinks.values(),
      channelsOf: (s: PresenceSink) => channels.get(s.id) ?? [],
      onSinkChange: (l: (s: PresenceSink) => void) => ((listener = l), () => (listener = undefined)),
      /** Sets `s`'s channels (undefined: it closed) and tells the listener, as the manager does. */
      set(s: PresenceSink, chs: ('threats' | 'alerts')[] | undefined) {
        if (chs === undefined) {
          (s as { state: string }).state = 'closed';
          sinks.delete(s.id);
          channels.delete(s.id);
        } else {
          sinks.set(s.id, s);
          channels.set(s.id, chs);
        }
        listener?.(s);
      },
      get listening() {
        return listener !== undefined;
      },
    };
  }

  it('takes in the sinks there at start from their opening, and later subscriptions from when they were noted', () => {
    let now = 5000;
    const c1 = sink('c1', 'u1', 1000);
    const src = source(c1, sink('c2', null, 1500), sink('c3', 'u1', 1200, 'closing'));
    src.set(c1, ['threats']);
    const local = new LocalPresence(src, () => now);
    for (const id of ['c2', 'c3']) src.set([...src.sinks()].find((s) => s.id === id) as PresenceSink, ['threats']);
    const first = local.flush();
    expect(local.connections().map((c) => c.id)).toEqual(['c1', 'c2']);
    expect([...local.members()].map(({ channel, user, connections, sinceMs }) => ({ channel, user, connections, sinceMs }))).toEqual([
      { channel: 'threats', user: 'u1', connections: 1, sinceMs: 1000 },
      { channel: 'threats', user: null, connections: 1, sinceMs: 1500 },
    ]);
    expect(first.joined).toEqual([{ channel: 'threats', user: 'u1', connections: 1, sinceMs: 1000 }]);
    now = 9000;
    src.set(c1, ['threats', 'alerts']);
    now = 9500;
    const second = local.flush();
    expect(second).toEqual({ members: ['threats\u0001u1', 'alerts\u0001u1'], connections: [c1], joined: [{ channel: 'alerts', user: 'u1', connections: 1, sinceMs: 9000 }], left: [] });
    expect(local.member('threats\u0001u1')).toEqual({ channel: 'threats', user: 'u1', connections: 1, sinceMs: 1000 });
    expect(local.connection(c1)).toEqual({ id: 'c1', user: 'u1', remote_address: '10.0.0.1', channels: ['threats', 'alerts'], queued_bytes: 7, connected_at: 1, transport: 'websocket' });
    // Nothing noted: nothing to do.
    expect(local.flush()).toEqual({ members: [], connections: [], joined: [], left: [] });
    local.close();
    expect(src.listening).toBe(false);
  });

  it('counts a user\'s connections, keeps the earliest since as they leave, and says left when the last one goes', () => {
    let now = 1000;
    const src = source();
    const local = new LocalPresence(src, () => now);
    const [a, b, c] = [sink('a', 'u1', 100), sink('b', 'u1', 200), sink('c', 'u2', 300)];
    src.set(a, ['threats']);
    now = 2000;
    local.flush();
    src.set(b, ['threats']);
    src.set(c, ['threats']);
    now = 3000;
    expect(local.flush().joined.map((m) => m.user)).toEqual(['u2']);
    expect(local.member('threats\u0001u1')).toMatchObject({ connections: 2, sinceMs: 1000 });
    src.set(a, undefined);
    expect(local.flush()).toMatchObject({ joined: [], left: [] });
    expect(local.member('threats\u0001u1')).toMatchObject({ connections: 1, sinceMs: 2000 });
    src.set(b, []);
    src.set(c, undefined);
    const gone = local.flush();
    expect(gone.left).toEqual([
      { channel: 'threats', user: 'u1', connections: 0, sinceMs: 0 },
      { channel: 'threats', user: 'u2', connections: 0, sinceMs: 0 },
    ]);
    expect(local.member('threats\u0001u1')).toBeUndefined();
    expect(local.connections().map((r) => [r.id, r.channels])).toEqual([['b', []]]);
    expect(local.connection(c)).toBeUndefined();
  });

  it('does not announce an entry that came and went between two flushes, and moves a re-authenticated sink to its new user', () => {
    const src = source();
    const local = new LocalPresence(src, () => 1000);
    const s = sink('s', 'u1', 100);
    src.set(s, ['alerts']);
    src.set(s, undefined);
    expect(local.flush()).toEqual({ members: [], connections: [s], joined: [], left: [] });
    const t = sink('t', 'u1', 100);
    src.set(t, ['alerts']);
    local.flush();
    (t as { principal: unknown }).principal = { id: 'u9', roles: [], permissions: [] };
    src.set(t, ['alerts']);
    const moved = local.flush();
    expect(moved.joined.map((m) => m.user)).toEqual(['u9']);
    expect(moved.left.map((m) => m.user)).toEqual(['u1']);
  });

  it('finds the connections whose queued bytes moved to another bucket, once', () => {
    const src = source();
    const local = new LocalPresence(src);
    const s = sink('q', null, 1);
    src.set(s, ['threats']);
    local.flush();
    const bucket = (b: number) => (b >= 4 ? 4 : 0);
    expect(local.queuedBytesChanged(bucket)).toEqual([s]);
    expect(local.queuedBytesChanged(bucket)).toEqual([]);
    (s as { bufferedBytes: number }).bufferedBytes = 0;
    expect(local.queuedBytesChanged(bucket)).toEqual([s]);
    src.set(s, undefined);
    local.flush();
    (s as { bufferedBytes: number }).bufferedBytes = 9;
    expect(local.queuedBytesChanged(bucket)).toEqual([]);
  });
});

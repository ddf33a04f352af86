import type { ChannelName, Principal } from '@ns/contracts';

/** What presence reads of one client's sink (a `FrameSink` of @ns/ws-manager, by shape). */
export interface PresenceSink {
  readonly id: string;
  readonly transport: string;
  readonly principal: Principal | null;
  readonly remoteAddress: string | undefined;
  readonly openedAt: number;
  readonly state: string;
  readonly bufferedBytes: number;
}

/** Where the sinks come from: the WebSocket manager (every transport registers there). */
export interface PresenceSource {
  sinks(): Iterable<PresenceSink>;
  channelsOf(sink: PresenceSink): ChannelName[];
}

/** One connection as this instance records it (the admin listing's row without `instance`). */
export interface ConnectionRecord {
  id: string;
  user: string | null;
  username?: string;
  remote_address: string | null;
  channels: ChannelName[];
  queued_bytes: number;
  /** Unix seconds. */
  connected_at: number;
  transport: string;
}

/** One presence entry: a user (or the anonymous connections, `user: null`) on a channel, on one instance. */
export interface MemberEntry {
  channel: ChannelName;
  user: string | null;
  username?: string;
  connections: number;
  /** Unix ms: the earliest subscription among those connections. */
  sinceMs: number;
}

/** What one scan of the local sinks found. */
export interface LocalSnapshot {
  connections: ConnectionRecord[];
  /** Keyed by {@link memberKey}. */
  members: Map<string, MemberEntry>;
}

/** The key of a (channel, user) entry; anonymous connections share the empty user. */
export const memberKey = (channel: string, user: string | null): string => `${channel}\u0001${user ?? ''}`;

/**
 * This instance's sinks as presence sees them. The manager does not say when a sink subscribed to a
 * channel, so a scan remembers when it first saw each (sink, channel): a channel present at a sink's
 * first scan counts from the sink's opening (subscriptions come right after connecting, e.g.
 * `?subscribe=`), a later one from the scan that found it — within one refresh interval of the truth.
 */
export class LocalPresence {
  readonly #source: PresenceSource;
  /**
   * Sink id → the sink's channels with when each was first seen, flat (`[channel, ms, channel, ms…]`:
   * a small array per sink costs far less than a Map). Replaced at each scan, so sinks gone are dropped.
   */
  #seen = new Map<string, (ChannelName | number)[]>();

  constructor(source: PresenceSource) {
    this.#source = source;
  }

  /** Scans every live sink (O(sinks)); `now` in Unix ms. */
  scan(now = Date.now()): LocalSnapshot {
    const connections: ConnectionRecord[] = [];
    const members = new Map<string, MemberEntry>();
    const seen = new Map<string, (ChannelName | number)[]>();
    for (const sink of this.#source.sinks()) {
      if (sink.state === 'closing' || sink.state === 'closed') continue;
      const channels = this.#source.channelsOf(sink);
      const before = this.#seen.get(sink.id);
      const since: (ChannelName | number)[] = [];
      for (const c of channels) {
        const i = before?.indexOf(c) ?? -1;
        since.push(c, i >= 0 ? (before?.[i + 1] as number) : before === undefined ? sink.openedAt : now);
      }
      seen.set(sink.id, since);
      const p = sink.principal;
      const record: ConnectionRecord = {
        id: sink.id,
        user: p?.id ?? null,
        remote_address: sink.remoteAddress ?? null,
        channels,
        queued_bytes: Math.max(0, Math.floor(sink.bufferedBytes)),
        connected_at: sink.openedAt / 1000,
        transport: sink.transport,
      };
      if (p?.username !== undefined) record.username = p.username;
      connections.push(record);
      for (let i = 0; i < since.length; i += 2) {
        const channel = since[i] as ChannelName;
        const at = since[i + 1] as number;
        const key = memberKey(channel, record.user);
        const m = members.get(key);
        if (m === undefined) {
          const entry: MemberEntry = { channel, user: record.user, connections: 1, sinceMs: at };
          if (record.username !== undefined) entry.username = record.username;
          members.set(key, entry);
        } else {
          m.connections++;
          if (at < m.sinceMs) m.sinceMs = at;
        }
      }
    }
    this.#seen = seen;
    return { connections, members };
  }
}

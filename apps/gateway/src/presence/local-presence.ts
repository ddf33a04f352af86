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
  /** Presence's own record of the sink (`FrameSink.trackerSlot`): kept on the sink, not in a map by sink. */
  trackerSlot?: unknown;
}

/** Where the sinks come from: the WebSocket manager (every transport registers there). */
export interface PresenceSource {
  sinks(): Iterable<PresenceSink>;
  channelsOf(sink: PresenceSink): ChannelName[];
  /** Tells of every sink registered, (un)subscribed, re-authenticated or closed; returns the unsubscribe. */
  onSinkChange(listener: (sink: PresenceSink) => void): () => void;
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

/** Everything this instance holds (a full rewrite of the store). */
export interface LocalSnapshot {
  connections: ConnectionRecord[];
  /** Keyed by {@link memberKey}. */
  members: Map<string, MemberEntry>;
}

/** What one {@link LocalPresence.flush} changed. */
export interface LocalChanges {
  /** Keys ({@link memberKey}) of the entries that changed, appeared or went. */
  members: string[];
  /** The sinks whose connection record changed, opened or closed. */
  connections: PresenceSink[];
  /** Entries of a user that appeared since the previous flush (not anonymous ones). */
  joined: MemberEntry[];
  /** Entries of a user that went since the previous flush. */
  left: MemberEntry[];
}

/** The key of a (channel, user) entry; anonymous connections share the empty user. */
export const memberKey = (channel: string, user: string | null): string => `${channel}\u0001${user ?? ''}`;

/**
 * A sink as presence last took it in, in its `trackerSlot`, flat and sized exactly to stay small (one
 * array per connection; an array grown by `push` keeps ~17 slots): `[user, queued, notedAt, channel,
 * sinceMs, channel, sinceMs…]` — `queued` is its queued bytes as {@link LocalPresence.queuedBytesChanged}
 * last reported them (bucketed); `notedAt` is when it was first noted changed since the last flush
 * (Unix ms), `null` when it was not. A sink noted before its first flush holds `[UNTRACKED, 0, notedAt]`.
 */
type Tracked = (string | number | null | typeof UNTRACKED)[];
const UNTRACKED = Symbol('untracked');
const USER = 0;
const QUEUED = 1;
const NOTED = 2;
const FIRST = 3;

const trackedOf = (sink: PresenceSink): Tracked | undefined => sink.trackerSlot as Tracked | undefined;
/** The record of a sink presence has taken in (not one only noted so far). */
const takenIn = (sink: PresenceSink): Tracked | undefined => {
  const t = trackedOf(sink);
  return t === undefined || t[USER] === UNTRACKED ? undefined : t;
};

const isGone = (sink: PresenceSink): boolean => sink.state === 'closing' || sink.state === 'closed';

/**
 * This instance's sinks as presence sees them, kept up to date by change: the source says which sink
 * changed (registered, subscribed, unsubscribed, re-authenticated, closed), {@link mark} notes it, and
 * {@link flush} re-reads only the noted sinks and the entries of their channels — an idle instance
 * costs nothing however many connections it holds. A channel counts from the moment its sink was
 * first noted changed since the previous flush (within one refresh interval of the subscription).
 * A sink counts until it has closed, or until it is noted while closing (an administrator's disconnect).
 * One per source: it keeps its record of each sink in the sink's `trackerSlot`.
 */
export class LocalPresence {
  readonly #source: PresenceSource;
  readonly #now: () => number;
  readonly #members = new Map<string, MemberEntry>();
  /** Sinks noted since the last flush (each once: its record says it was noted, and when). */
  #dirty: PresenceSink[] = [];
  readonly #unsubscribe: () => void;

  constructor(source: PresenceSource, now: () => number = Date.now) {
    this.#source = source;
    this.#now = now;
    for (const sink of source.sinks()) this.mark(sink, sink.openedAt);
    this.#unsubscribe = source.onSinkChange((sink) => this.mark(sink));
  }

  /** Notes that `sink` may have changed; O(1). `at`: when (Unix ms), default now. */
  mark(sink: PresenceSink, at = this.#now()): void {
    const t = trackedOf(sink);
    if (t === undefined) sink.trackerSlot = [UNTRACKED, 0, at];
    else if (t[NOTED] === null) t[NOTED] = at;
    else return;
    this.#dirty.push(sink);
  }

  /** Takes in the sinks noted since the last flush: O(noted sinks × their channels), nothing when idle. */
  flush(): LocalChanges {
    const changes: LocalChanges = { members: [], connections: [], joined: [], left: [] };
    if (this.#dirty.length === 0) return changes;
    const dirty = this.#dirty;
    this.#dirty = [];
    // Whether each touched entry existed before this flush (its first touch tells), and the entries
    // whose earliest connection left while others stayed (their since is found again at the end).
    const before = new Map<string, boolean>();
    const stale = new Set<string>();
    for (const sink of dirty) {
      const noted = trackedOf(sink) as Tracked;
      const at = noted[NOTED] as number;
      const old = noted[USER] === UNTRACKED ? undefined : noted;
      changes.connections.push(sink);
      if (old !== undefined) {
        for (let i = FIRST; i < old.length; i += 2) this.#leave(memberKey(old[i] as string, old[USER] as string | null), old[i + 1] as number, before, stale);
      }
      if (isGone(sink)) {
        sink.trackerSlot = undefined;
        continue;
      }
      const p = sink.principal;
      const user = p?.id ?? null;
      const sameUser = old !== undefined && old[USER] === user;
      const channels = this.#source.channelsOf(sink);
      // Sized up front: exactly the slots it holds.
      const tracked: Tracked = new Array<string | number | null>(FIRST + 2 * channels.length);
      tracked[USER] = user;
      tracked[QUEUED] = old === undefined ? 0 : (old[QUEUED] as number);
      tracked[NOTED] = null;
      for (let k = 0; k < channels.length; k++) {
        const channel = channels[k] as ChannelName;
        const i = sameUser ? old.indexOf(channel, FIRST) : -1;
        const since = i >= 0 ? (old?.[i + 1] as number) : at;
        tracked[FIRST + 2 * k] = channel;
        tracked[FIRST + 2 * k + 1] = since;
        this.#join(channel, user, p?.username, since, before);
      }
      sink.trackerSlot = tracked;
    }
    if (stale.size > 0) this.#recomputeSince(stale);
    for (const [key, existed] of before) {
      changes.members.push(key);
      const now = this.#members.get(key);
      if (existed === (now !== undefined)) continue;
      if (now !== undefined) {
        if (now.user !== null) changes.joined.push({ ...now });
        continue;
      }
      const sep = key.indexOf('\u0001');
      const user = key.slice(sep + 1);
      if (user !== '') changes.left.push({ channel: key.slice(0, sep) as ChannelName, user, connections: 0, sinceMs: 0 });
    }
    return changes;
  }

  /** This instance's entries (call {@link flush} first for the latest). Read only. */
  members(): IterableIterator<MemberEntry> {
    return this.#members.values();
  }

  /** A copy of the entry with `key`; undefined when there is none. */
  member(key: string): MemberEntry | undefined {
    const m = this.#members.get(key);
    return m === undefined ? undefined : { ...m };
  }

  /** The record of `sink` while it is live (queued bytes as of now); undefined when it is gone. */
  connection(sink: PresenceSink): ConnectionRecord | undefined {
    const t = takenIn(sink);
    return t === undefined || isGone(sink) ? undefined : recordOf(sink, t);
  }

  /** Every live connection, queued bytes as of now: O(connections), for admin listings and full rewrites. */
  connections(): ConnectionRecord[] {
    const out: ConnectionRecord[] = [];
    this.#forEachTakenIn((sink, t) => {
      if (!isGone(sink)) out.push(recordOf(sink, t));
    });
    return out;
  }

  /** Everything, for a full rewrite of the store. */
  snapshot(): LocalSnapshot {
    const members = new Map<string, MemberEntry>();
    for (const [key, m] of this.#members) members.set(key, { ...m });
    return { connections: this.connections(), members };
  }

  /**
   * The sinks whose queued bytes, as `bucket` maps them, changed since the last call (or since the
   * sink changed): one pass reading a number per connection — an idle one costs a comparison — for
   * stores that show other instances queued bytes.
   */
  queuedBytesChanged(bucket: (bytes: number) => number): PresenceSink[] {
    const changed: PresenceSink[] = [];
    this.#forEachTakenIn((sink, t) => {
      const bytes = sink.bufferedBytes;
      if (bytes <= 0 && t[QUEUED] === 0) return;
      const b = bucket(bytes);
      if (b === t[QUEUED]) return;
      t[QUEUED] = b;
      changed.push(sink);
    });
    return changed;
  }

  /** Stops listening to the source and gives the sinks' tracker slots back. */
  close(): void {
    this.#unsubscribe();
    for (const sink of this.#source.sinks()) sink.trackerSlot = undefined;
    for (const sink of this.#dirty) sink.trackerSlot = undefined;
    this.#dirty = [];
  }

  #join(channel: ChannelName, user: string | null, username: string | undefined, at: number, before: Map<string, boolean>): void {
    const key = memberKey(channel, user);
    if (!before.has(key)) before.set(key, this.#members.has(key));
    const m = this.#members.get(key);
    if (m === undefined) {
      const entry: MemberEntry = { channel, user, connections: 1, sinceMs: at };
      if (username !== undefined) entry.username = username;
      this.#members.set(key, entry);
      return;
    }
    m.connections++;
    if (at < m.sinceMs) m.sinceMs = at;
    if (m.username === undefined && username !== undefined) m.username = username;
  }

  #leave(key: string, at: number, before: Map<string, boolean>, stale: Set<string>): void {
    const m = this.#members.get(key);
    if (m === undefined) return;
    if (!before.has(key)) before.set(key, true);
    if (--m.connections === 0) {
      this.#members.delete(key);
      stale.delete(key);
    } else if (at <= m.sinceMs) stale.add(key);
  }

  /**
   * The earliest since of entries whose earliest connection left: one pass over the connections, only
   * in a flush where that happened (entries keep no list of their connections, to stay small).
   */
  #recomputeSince(stale: Set<string>): void {
    const earliest = new Map<string, number>();
    this.#forEachTakenIn((_sink, t) => {
      for (let i = FIRST; i < t.length; i += 2) {
        const key = memberKey(t[i] as string, t[USER] as string | null);
        if (!stale.has(key)) continue;
        const at = t[i + 1] as number;
        if (at < (earliest.get(key) ?? Infinity)) earliest.set(key, at);
      }
    });
    for (const [key, at] of earliest) {
      const m = this.#members.get(key);
      if (m !== undefined) m.sinceMs = at;
    }
  }

  /** Each registered sink presence has taken in, with its record (sinks only noted so far are skipped). */
  #forEachTakenIn(visit: (sink: PresenceSink, t: Tracked) => void): void {
    for (const sink of this.#source.sinks()) {
      const t = takenIn(sink);
      if (t !== undefined) visit(sink, t);
    }
  }
}

function recordOf(sink: PresenceSink, t: Tracked): ConnectionRecord {
  const channels: ChannelName[] = [];
  for (let i = FIRST; i < t.length; i += 2) channels.push(t[i] as ChannelName);
  const record: ConnectionRecord = {
    id: sink.id,
    user: t[USER] as string | null,
    remote_address: sink.remoteAddress ?? null,
    channels,
    queued_bytes: Math.max(0, Math.floor(sink.bufferedBytes)),
    connected_at: sink.openedAt / 1000,
    transport: sink.transport,
  };
  const username = sink.principal?.username;
  if (username !== undefined) record.username = username;
  return record;
}

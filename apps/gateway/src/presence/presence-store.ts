import type { ConnectionRecord, LocalSnapshot, MemberEntry } from './local-presence.js';

/** How long an instance's presence entries outlive its last refresh (Redis: key TTL). */
export const PRESENCE_TTL_MS = 5_000;
/** How often an instance takes in its changed sinks and refreshes its entries. */
export const PRESENCE_REFRESH_MS = 1_000;

/** A connection of another instance, as that instance last wrote it. */
export interface RemoteConnection extends ConnectionRecord {
  instance: string;
}

/** What the other live instances hold. */
export interface RemoteView<T> {
  /** Every live instance other than this one. */
  instances: string[];
  items: T[];
}

/**
 * Queued bytes as other instances see them: rounded down to a power of two, so that a busy connection
 * is not rewritten at every refresh.
 */
export const quantizeQueuedBytes = (bytes: number): number => (bytes <= 0 ? 0 : 2 ** Math.floor(Math.log2(bytes)));

/** What a refresh hands the store: what changed since the last refresh, and everything on demand. */
export interface PresenceUpdate {
  /** Entries changed since the last refresh, by key; `undefined`: gone. */
  members: Map<string, MemberEntry | undefined>;
  /** Connection records changed since the last refresh (queued bytes exact), by id; `undefined`: gone. */
  connections: Map<string, ConnectionRecord | undefined>;
  /** Everything this instance holds, for a full rewrite (O(connections): only after a failure or expiry). */
  all(): LocalSnapshot;
}

/**
 * Where an instance publishes its presence and reads the others'. The memory engine runs one process:
 * its store holds nothing and knows no other instance. The Redis store keeps each instance's entries
 * under keys that expire {@link PRESENCE_TTL_MS} after its last refresh, so a killed instance's
 * connections disappear by themselves.
 */
export interface PresenceStore {
  readonly name: string;
  /** True when other instances read what {@link refresh} writes (false: refreshing writes nothing). */
  readonly shared: boolean;
  /** Writes what changed and renews this instance's entries (everything again after a failed write). */
  refresh(update: PresenceUpdate): Promise<void>;
  /** The presence entries of the other live instances. */
  remoteMembers(): Promise<RemoteView<MemberEntry>>;
  /** The connections of the other live instances. */
  remoteConnections(): Promise<RemoteView<RemoteConnection>>;
  /** Removes this instance's entries (graceful shutdown) and closes connections. */
  close(): Promise<void>;
}

/** The memory engine's store: one process is the whole deployment. */
export class LocalOnlyPresenceStore implements PresenceStore {
  readonly name = 'memory';
  readonly shared = false;
  async refresh(): Promise<void> {}
  async remoteMembers(): Promise<RemoteView<MemberEntry>> {
    return { instances: [], items: [] };
  }
  async remoteConnections(): Promise<RemoteView<RemoteConnection>> {
    return { instances: [], items: [] };
  }
  async close(): Promise<void> {}
}

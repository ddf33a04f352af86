import type { ConnectionRecord, LocalSnapshot, MemberEntry } from './local-presence.js';

/** How long an instance's presence entries outlive its last refresh (Redis: key TTL). */
export const PRESENCE_TTL_MS = 5_000;
/** How often an instance scans its sinks and refreshes its entries. */
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
 * Where an instance publishes its presence and reads the others'. The memory engine runs one process:
 * its store holds nothing and knows no other instance. The Redis store keeps each instance's entries
 * under keys that expire {@link PRESENCE_TTL_MS} after its last refresh, so a killed instance's
 * connections disappear by themselves.
 */
export interface PresenceStore {
  readonly name: string;
  /** Writes this instance's current entries (only what changed since the last write, where it can). */
  refresh(snapshot: LocalSnapshot): Promise<void>;
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
  async refresh(): Promise<void> {}
  async remoteMembers(): Promise<RemoteView<MemberEntry>> {
    return { instances: [], items: [] };
  }
  async remoteConnections(): Promise<RemoteView<RemoteConnection>> {
    return { instances: [], items: [] };
  }
  async close(): Promise<void> {}
}

import type { ChannelName, ChannelPresence, ConnectionInfo, ConnectionsResponse, PresenceResponse } from '@ns/contracts';
import type { Logger } from 'pino';
import { channelCounts, channelPresence } from './aggregate.js';
import { LocalPresence, type ConnectionRecord, type LocalChanges, type MemberEntry, type PresenceSink, type PresenceSource } from './local-presence.js';
import { PRESENCE_REFRESH_MS, quantizeQueuedBytes, type PresenceStore } from './presence-store.js';

/** Options of {@link Presence}. */
export interface PresenceOptions {
  source: PresenceSource;
  store: PresenceStore;
  /** This gateway process's id (shown as `instance` in listings). */
  instanceId: string;
  logger: Logger;
  /** Default {@link PRESENCE_REFRESH_MS}. */
  refreshMs?: number;
  /** Called with what every flush of the local changes found (join/leave notices): every refresh and presence question. */
  onChanges?: (changes: LocalChanges) => void;
}

/** Which connections an admin action is about. */
export type ConnectionTarget = { connection_id: string } | { user: string };

/** A connection found for an admin action, and where it lives. */
export interface LocatedConnection {
  id: string;
  user: string | null;
  instance: string;
}

const toInfo = (c: Omit<ConnectionInfo, 'instance'>, instance: string): ConnectionInfo => Object.assign(c, { instance });

/**
 * Who is connected to what, cluster-wide (docs/protocol.md#presence-and-admin). This instance's part
 * is kept by change ({@link LocalPresence}: the manager says which sink changed) and taken in on every
 * question; the other instances' comes from the store, as they last refreshed it (at most
 * {@link PRESENCE_REFRESH_MS} old). A timer writes this instance's changes to the store and renews its
 * entries there: with nothing changed that is the TTL renewal alone.
 */
export class Presence {
  readonly instanceId: string;
  readonly #local: LocalPresence;
  readonly #store: PresenceStore;
  readonly #log: Logger;
  readonly #onChanges: ((changes: LocalChanges) => void) | undefined;
  readonly #timer: NodeJS.Timeout;
  /** Entries and connections changed since the last write to the store. */
  #pendingMembers = new Set<string>();
  #pendingConnections = new Map<string, PresenceSink>();
  #refreshing: Promise<void> | undefined;
  #failing = false;
  #closed = false;

  constructor(o: PresenceOptions) {
    this.instanceId = o.instanceId;
    this.#local = new LocalPresence(o.source);
    this.#store = o.store;
    this.#log = o.logger;
    this.#onChanges = o.onChanges;
    this.#timer = setInterval(() => void this.refresh(), o.refreshMs ?? PRESENCE_REFRESH_MS).unref();
    void this.refresh();
  }

  /** Where presence is kept: `memory` (this process only) or `redis` (every instance sharing it). */
  get store(): string {
    return this.#store.name;
  }

  /** Notes that `sink` changed outside the manager's knowledge (closed by an administrator: it stops counting at once). */
  changed(sink: PresenceSink): void {
    this.#local.mark(sink);
  }

  /** Takes in the local changes and writes them to the store; one at a time (a slow Redis never piles refreshes up). */
  refresh(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#refreshing ??= this.#refreshOnce().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #refreshOnce(): Promise<void> {
    this.#flush();
    const members = new Map<string, MemberEntry | undefined>();
    const connections = new Map<string, ConnectionRecord | undefined>();
    if (this.#store.shared) {
      for (const sink of this.#local.queuedBytesChanged(quantizeQueuedBytes)) this.#pendingConnections.set(sink.id, sink);
      for (const key of this.#pendingMembers) members.set(key, this.#local.member(key));
      for (const [id, sink] of this.#pendingConnections) connections.set(id, this.#local.connection(sink));
    }
    this.#pendingMembers = new Set();
    this.#pendingConnections = new Map();
    try {
      await this.#store.refresh({ members, connections, all: () => this.#local.snapshot() });
      if (this.#failing) this.#log.info('presence: refreshing again');
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) this.#log.warn({ err: err instanceof Error ? err.message : String(err) }, 'presence: refresh failed; other instances see this one\'s entries expire');
      this.#failing = true;
    }
  }

  /** Takes in the sinks changed since the last flush; O(changed sinks). */
  #flush(): void {
    const changes = this.#local.flush();
    // Only a shared store is written what changed; for one that is not, the sets would only be garbage
    // (a connection burst's worth per refresh).
    if (this.#store.shared) {
      for (const key of changes.members) this.#pendingMembers.add(key);
      for (const sink of changes.connections) this.#pendingConnections.set(sink.id, sink);
    }
    this.#onChanges?.(changes);
  }

  async #members(): Promise<MemberEntry[]> {
    const remote = await this.#store.remoteMembers();
    this.#flush();
    return [...this.#local.members(), ...remote.items];
  }

  /** Per channel, connections and distinct users on every live instance. Rejects when the store cannot be read. */
  async counts(): Promise<Record<ChannelName, ChannelPresence>> {
    return channelCounts(await this.#members());
  }

  /** The users present on `channel`, cluster-wide. */
  async channel(channel: ChannelName): Promise<PresenceResponse> {
    return channelPresence(channel, await this.#members());
  }

  /** Live connections of every instance, oldest first, optionally of one user, at most `limit`. */
  async connections(query: { user?: string; limit: number }): Promise<ConnectionsResponse> {
    const remote = await this.#store.remoteConnections();
    this.#flush();
    const all = [...this.#local.connections().map((c) => toInfo(c, this.instanceId)), ...remote.items.map(({ instance, ...c }) => toInfo(c, instance))]
      .filter((c) => query.user === undefined || c.user === query.user)
      .sort((a, b) => a.connected_at - b.connected_at || a.id.localeCompare(b.id));
    return { connections: all.slice(0, query.limit), instances: [this.instanceId, ...remote.instances].sort(), truncated: all.length > query.limit };
  }

  /** The connections `target` names, on every instance. */
  async locate(target: ConnectionTarget): Promise<LocatedConnection[]> {
    const match = (c: { id: string; user: string | null }) => ('connection_id' in target ? c.id === target.connection_id : c.user === target.user);
    this.#flush();
    const here = this.#local.connections().filter(match).map((c) => ({ id: c.id, user: c.user, instance: this.instanceId }));
    if ('connection_id' in target && here.length > 0) return here;
    const remote = await this.#store.remoteConnections();
    return [...here, ...remote.items.filter(match).map((c) => ({ id: c.id, user: c.user, instance: c.instance }))];
  }

  /** Stops refreshing and removes this instance's entries from the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#local.close();
    await this.#refreshing;
    await this.#store.close();
  }
}

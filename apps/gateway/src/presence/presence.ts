import type { ChannelName, ChannelPresence, ConnectionInfo, ConnectionsResponse, PresenceResponse } from '@ns/contracts';
import type { Logger } from 'pino';
import { channelCounts, channelPresence } from './aggregate.js';
import { LocalPresence, type LocalSnapshot, type MemberEntry, type PresenceSource } from './local-presence.js';
import { PRESENCE_REFRESH_MS, type PresenceStore } from './presence-store.js';

/** Options of {@link Presence}. */
export interface PresenceOptions {
  source: PresenceSource;
  store: PresenceStore;
  /** This gateway process's id (shown as `instance` in listings). */
  instanceId: string;
  logger: Logger;
  /** Default {@link PRESENCE_REFRESH_MS}. */
  refreshMs?: number;
  /** Called with every local scan (join/leave notices). */
  onScan?: (snapshot: LocalSnapshot) => void;
}

/** Which connections an admin action is about. */
export type ConnectionTarget = { connection_id: string } | { user: string };

/** A connection found for an admin action, and where it lives. */
export interface LocatedConnection {
  id: string;
  user: string | null;
  instance: string;
}

const toInfo = (c: Omit<ConnectionInfo, 'instance'>, instance: string): ConnectionInfo => ({ ...c, instance });

/**
 * Who is connected to what, cluster-wide (docs/protocol.md#presence-and-admin). This instance's part
 * is read from its sinks on every question (exact); the other instances' from the store, as they last
 * refreshed it (at most {@link PRESENCE_REFRESH_MS} old). A timer scans the sinks and refreshes this
 * instance's entries in the store.
 */
export class Presence {
  readonly instanceId: string;
  readonly #local: LocalPresence;
  readonly #store: PresenceStore;
  readonly #log: Logger;
  readonly #onScan: ((snapshot: LocalSnapshot) => void) | undefined;
  readonly #timer: NodeJS.Timeout;
  #refreshing: Promise<void> | undefined;
  #failing = false;
  #closed = false;

  constructor(o: PresenceOptions) {
    this.instanceId = o.instanceId;
    this.#local = new LocalPresence(o.source);
    this.#store = o.store;
    this.#log = o.logger;
    this.#onScan = o.onScan;
    this.#timer = setInterval(() => void this.refresh(), o.refreshMs ?? PRESENCE_REFRESH_MS).unref();
    void this.refresh();
  }

  /** Where presence is kept: `memory` (this process only) or `redis` (every instance sharing it). */
  get store(): string {
    return this.#store.name;
  }

  /** Scans the local sinks and writes the store; one at a time (a slow Redis never piles refreshes up). */
  refresh(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#refreshing ??= this.#refreshOnce().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #refreshOnce(): Promise<void> {
    const snapshot = this.#scan();
    try {
      await this.#store.refresh(snapshot);
      if (this.#failing) this.#log.info('presence: refreshing again');
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) this.#log.warn({ err: err instanceof Error ? err.message : String(err) }, 'presence: refresh failed; other instances see this one\'s entries expire');
      this.#failing = true;
    }
  }

  #scan(): LocalSnapshot {
    const snapshot = this.#local.scan();
    this.#onScan?.(snapshot);
    return snapshot;
  }

  async #members(): Promise<MemberEntry[]> {
    const remote = await this.#store.remoteMembers();
    return [...this.#scan().members.values(), ...remote.items];
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
    const all = [...this.#scan().connections.map((c) => toInfo(c, this.instanceId)), ...remote.items.map(({ instance, ...c }) => toInfo(c, instance))]
      .filter((c) => query.user === undefined || c.user === query.user)
      .sort((a, b) => a.connected_at - b.connected_at || a.id.localeCompare(b.id));
    return { connections: all.slice(0, query.limit), instances: [this.instanceId, ...remote.instances].sort(), truncated: all.length > query.limit };
  }

  /** The connections `target` names, on every instance. */
  async locate(target: ConnectionTarget): Promise<LocatedConnection[]> {
    const match = (c: { id: string; user: string | null }) => ('connection_id' in target ? c.id === target.connection_id : c.user === target.user);
    const here = this.#scan().connections.filter(match).map((c) => ({ id: c.id, user: c.user, instance: this.instanceId }));
    if ('connection_id' in target && here.length > 0) return here;
    const remote = await this.#store.remoteConnections();
    return [...here, ...remote.items.filter(match).map((c) => ({ id: c.id, user: c.user, instance: c.instance }))];
  }

  /** Stops refreshing and removes this instance's entries from the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#refreshing;
    await this.#store.close();
  }
}

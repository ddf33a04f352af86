import {
  CHANNEL_NAMES,
  MAX_PRESENCE_MEMBERS,
  type ChannelName,
  type ChannelPresence,
  type PresenceMember,
  type PresenceResponse,
} from '@ns/contracts';
import type { MemberEntry } from './local-presence.js';

/** Per channel: connections, and distinct authenticated users, over the entries of every instance. */
export function channelCounts(entries: Iterable<MemberEntry>): Record<ChannelName, ChannelPresence> {
  const users = new Map<ChannelName, Set<string>>();
  const out = Object.fromEntries(CHANNEL_NAMES.map((c) => [c, { connections: 0, users: 0 }])) as Record<ChannelName, ChannelPresence>;
  for (const e of entries) {
    const row = out[e.channel];
    if (row === undefined) continue;
    row.connections += e.connections;
    if (e.user === null) continue;
    let set = users.get(e.channel);
    if (set === undefined) users.set(e.channel, (set = new Set()));
    set.add(e.user);
  }
  for (const [channel, set] of users) out[channel].users = set.size;
  return out;
}

/**
 * The presence of one channel over the entries of every instance: a user on several instances is one
 * member with the sum of connections and the earliest `since`; anonymous connections are one row
 * (`user: null`) and not counted as users. Members earliest first, at most {@link MAX_PRESENCE_MEMBERS}.
 */
export function channelPresence(channel: ChannelName, entries: Iterable<MemberEntry>): PresenceResponse {
  const byUser = new Map<string | null, { connections: number; sinceMs: number; username?: string }>();
  let connections = 0;
  for (const e of entries) {
    if (e.channel !== channel) continue;
    connections += e.connections;
    const m = byUser.get(e.user);
    if (m === undefined) byUser.set(e.user, { connections: e.connections, sinceMs: e.sinceMs, ...(e.username !== undefined && { username: e.username }) });
    else {
      m.connections += e.connections;
      m.sinceMs = Math.min(m.sinceMs, e.sinceMs);
      if (m.username === undefined && e.username !== undefined) m.username = e.username;
    }
  }
  const all: PresenceMember[] = [...byUser]
    .map(([user, m]) => ({ user, ...(m.username !== undefined && { username: m.username }), connections: m.connections, since: m.sinceMs / 1000 }))
    .sort((a, b) => a.since - b.since || String(a.user).localeCompare(String(b.user)));
  const users = byUser.has(null) ? byUser.size - 1 : byUser.size;
  return { channel, connections, users, members: all.slice(0, MAX_PRESENCE_MEMBERS), truncated: all.length > MAX_PRESENCE_MEMBERS };
}

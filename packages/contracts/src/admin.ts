import { z } from 'zod';
import { ChannelNameSchema } from './channels.js';
import { ShortText, Timestamp } from './primitives.js';

// Presence and the admin API (docs/protocol.md#presence-and-admin): who is connected to which channel,
// cluster-wide, and closing connections on any gateway instance. Every route needs the `admin` permission.

/** Most members `GET /v1/presence/{channel}` lists (the counts always cover everyone). */
export const MAX_PRESENCE_MEMBERS = 1000;
/** Most connections one `GET /v1/connections` lists. */
export const MAX_CONNECTIONS_LISTED = 10_000;
/** `limit` of `GET /v1/connections` when not given. */
export const DEFAULT_CONNECTIONS_LISTED = 1000;
/** Longest `reason` of a disconnect: it travels in a WebSocket close frame (at most 123 bytes with its prefix). */
export const MAX_DISCONNECT_REASON = 80;

/** A gateway instance's id, as listed by the admin API. */
export const InstanceId = z.string().min(1).max(128).meta({
  id: 'InstanceId',
  title: 'Instance id',
  description: 'One gateway process, named when it starts (a new id after every restart).',
  examples: ['gw-7f3c2a9e'],
});

/** A connection id, as `welcome.connection_id` announced it. */
export const ConnectionId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'a connection id is made of letters, digits and . _ : -')
  .meta({ id: 'ConnectionId', title: 'Connection id', description: 'A connection\'s id (`welcome.connection_id`).', examples: ['c_1f8e2a9b0c'] });

/** Cluster-wide presence of one channel: connections subscribed and distinct users among them. */
export const ChannelPresence = z
  .strictObject({
    /** Connections subscribed to the channel, on every instance. */
    connections: z.int().min(0),
    /** Distinct authenticated users among them (anonymous connections are not users). */
    users: z.int().min(0),
  })
  .meta({
    id: 'ChannelPresence',
    title: 'Channel presence',
    description: 'Connections subscribed to a channel on every gateway instance sharing the engine, and the distinct users among them.',
    examples: [{ connections: 5, users: 3 }],
  });
export type ChannelPresence = z.infer<typeof ChannelPresence>;

/** One user present on a channel. */
export const PresenceMember = z
  .strictObject({
    /** The token's subject (`sub`), or null for anonymous connections (listed together as one row). */
    user: z.string().min(1).max(256).nullable(),
    /** The token's `username`, when it has one. */
    username: z.string().max(256).optional(),
    /** The user's connections subscribed to the channel, on every instance. */
    connections: z.int().positive(),
    /** Since when (Unix s) the user has been present without a break: the earliest of those connections' subscriptions. */
    since: Timestamp,
  })
  .meta({
    id: 'PresenceMember',
    title: 'Presence member',
    description: 'A user subscribed to the channel, with how many connections and since when.',
    examples: [{ user: 'u_42', username: 'alice', connections: 2, since: 1764115200.5 }],
  });
export type PresenceMember = z.infer<typeof PresenceMember>;

/** `200` body of `GET /v1/presence/{channel}`. */
export const PresenceResponse = z
  .strictObject({
    channel: ChannelNameSchema,
    connections: z.int().min(0),
    users: z.int().min(0),
    /** Users, earliest first, at most {@link MAX_PRESENCE_MEMBERS}. */
    members: z.array(PresenceMember).max(MAX_PRESENCE_MEMBERS),
    /** True when there were more members than listed. */
    truncated: z.boolean(),
  })
  .meta({
    id: 'PresenceResponse',
    title: 'Presence',
    description: `Who is subscribed to a channel, cluster-wide: counts, and the users (at most ${MAX_PRESENCE_MEMBERS}, earliest first).`,
    examples: [
      {
        channel: 'threats',
        connections: 3,
        users: 2,
        members: [
          { user: 'u_42', username: 'alice', connections: 2, since: 1764115200.5 },
          { user: 'u_7', username: 'bob', connections: 1, since: 1764115230.0 },
        ],
        truncated: false,
      },
    ],
  });
export type PresenceResponse = z.infer<typeof PresenceResponse>;

/** One live connection, as the admin API lists it. */
export const ConnectionInfo = z
  .strictObject({
    id: ConnectionId,
    /** The token's subject, or null while anonymous. */
    user: z.string().min(1).max(256).nullable(),
    username: z.string().max(256).optional(),
    /** The client's IP as the gateway saw it (after trusted proxies), when known. */
    remote_address: z.string().max(64).nullable(),
    channels: z.array(ChannelNameSchema),
    /** Bytes queued for the client and not yet taken by the kernel. */
    queued_bytes: z.int().min(0),
    connected_at: Timestamp,
    /** The gateway instance holding the connection. */
    instance: InstanceId,
    /** `websocket`, or another transport's name (e.g. `sse`). */
    transport: z.string().min(1).max(32),
  })
  .meta({
    id: 'ConnectionInfo',
    title: 'Connection',
    description: 'A live client connection on one of the gateway instances.',
    examples: [
      {
        id: 'c_1f8e2a9b0c',
        user: 'u_42',
        username: 'alice',
        remote_address: '10.0.4.17',
        channels: ['threats', 'alerts'],
        queued_bytes: 0,
        connected_at: 1764115200.5,
        instance: 'gw-7f3c2a9e',
        transport: 'websocket',
      },
    ],
  });
export type ConnectionInfo = z.infer<typeof ConnectionInfo>;

/** Query of `GET /v1/connections`. */
export const ConnectionsQuery = z
  .strictObject({
    /** Only this user's connections (the token's subject). */
    user: ShortText.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_CONNECTIONS_LISTED).default(DEFAULT_CONNECTIONS_LISTED),
  })
  .meta({
    id: 'ConnectionsQuery',
    title: 'Connections query',
    description: `\`user\`: only that user's connections; \`limit\`: at most this many (1–${MAX_CONNECTIONS_LISTED}, default ${DEFAULT_CONNECTIONS_LISTED}).`,
    examples: [{ user: 'u_42', limit: 100 }],
  });
export type ConnectionsQuery = z.infer<typeof ConnectionsQuery>;

/** `200` body of `GET /v1/connections`. */
export const ConnectionsResponse = z
  .strictObject({
    /** Oldest first. */
    connections: z.array(ConnectionInfo),
    /** Every live instance sharing the engine (this one included), whether it holds connections or not. */
    instances: z.array(InstanceId),
    /** True when more connections matched than `limit`. */
    truncated: z.boolean(),
  })
  .meta({
    id: 'ConnectionsResponse',
    title: 'Connections',
    description: 'Live connections on every gateway instance sharing the engine, oldest first.',
    examples: [{ connections: ConnectionInfo.meta()?.examples ?? [], instances: ['gw-7f3c2a9e', 'gw-0b41d6c2'], truncated: false }],
  });
export type ConnectionsResponse = z.infer<typeof ConnectionsResponse>;

/** Why an administrator closed a connection; sent to the client in the close frame. */
export const DisconnectReason = z.string().min(1).max(MAX_DISCONNECT_REASON);

/** Query of `DELETE /v1/connections/{id}`. */
export const DisconnectQuery = z
  .strictObject({ reason: DisconnectReason.optional() })
  .meta({
    id: 'DisconnectQuery',
    title: 'Disconnect query',
    description: `\`reason\`: told to the client in the close frame (at most ${MAX_DISCONNECT_REASON} characters).`,
    examples: [{ reason: 'session ended by the SOC lead' }],
  });
export type DisconnectQuery = z.infer<typeof DisconnectQuery>;

/** Body of `POST /v1/disconnects`: close every connection of a user, on every instance. */
export const DisconnectRequest = z
  .strictObject({
    /** The token's subject (`sub`), as `ConnectionInfo.user` shows it. */
    user: z.string().min(1).max(256),
    reason: DisconnectReason.optional(),
  })
  .meta({
    id: 'DisconnectRequest',
    title: 'Disconnect a user',
    description: 'Closes every connection of `user` on every gateway instance (close code 4003, the reason in the close frame).',
    examples: [{ user: 'u_42', reason: 'laptop reported stolen' }],
  });
export type DisconnectRequest = z.infer<typeof DisconnectRequest>;

/** `200` body of `DELETE /v1/connections/{id}` and `POST /v1/disconnects`. */
export const DisconnectResponse = z
  .strictObject({
    /**
     * The connections found and told to close, with their instances. A user's connection opened on
     * another instance within the last presence refresh (about a second) is closed too but may be missing here.
     */
    disconnected: z.array(z.strictObject({ id: ConnectionId, user: z.string().max(256).nullable(), instance: InstanceId })),
    /** The close code sent (4003). */
    code: z.int().min(4000).max(4999),
    /** The close frame's reason. */
    reason: z.string().max(123),
  })
  .meta({
    id: 'DisconnectResponse',
    title: 'Disconnected',
    description: 'Which connections were closed, with the close code and reason the clients received.',
    examples: [{ disconnected: [{ id: 'c_1f8e2a9b0c', user: 'u_42', instance: 'gw-7f3c2a9e' }], code: 4003, reason: 'disconnected by an administrator: laptop reported stolen' }],
  });
export type DisconnectResponse = z.infer<typeof DisconnectResponse>;

/** The close reason a client receives when an administrator closes its connection. */
export function disconnectCloseReason(reason: string | undefined): string {
  const text = `disconnected by an administrator${reason === undefined ? '' : `: ${reason}`}`;
  // A close frame's reason is at most 123 bytes of UTF-8; cut on a character boundary.
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = new TextEncoder().encode(ch).length;
    if (bytes + n > 123) break;
    out += ch;
    bytes += n;
  }
  return out;
}

import { z } from 'zod';
import { Principal } from './auth.js';
import { CHANNEL_NAMES, ChannelNameSchema, CHANNELS, type ChannelFilterSchemas, type ChannelName } from './channels.js';
import { EventEnvelope } from './envelope.js';
import { ErrorCodeSchema } from './errors.js';
import { PROTOCOL_VERSION } from './limits.js';
import { Epoch, Timestamp } from './primitives.js';

/** Request id chosen by the client and echoed in the reply. */
const RequestId = z.string().min(1).max(128);

/** Resume cursor: the last `{epoch, seq}` a client saw on a channel (seq 0 = nothing seen yet). */
export const SinceCursor = z
  .strictObject({
    epoch: Epoch,
    seq: z.int().min(0),
  })
  .meta({
    id: 'SinceCursor',
    title: 'Resume cursor',
    description: 'The last epoch and seq a client saw on a channel.',
    examples: [{ epoch: 'k3v9q1', seq: 41 }],
  });
export type SinceCursor = z.infer<typeof SinceCursor>;

// ---------------------------------------------------------------------------------------------------
// Client → server

/** `auth`: authenticate (first frame, for browsers) or refresh the token before it expires. */
export const AuthMessage = z
  .strictObject({ type: z.literal('auth'), id: RequestId.optional(), token: z.string().min(1).max(16_384) })
  .meta({
    id: 'AuthMessage',
    title: 'auth',
    description: 'Authenticate as the first frame (browsers), or refresh the token before it expires. Reply: `authenticated` or `error`.',
    examples: [{ type: 'auth', id: 'a1', token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1XzQyIn0.sig' }],
  });
export type AuthMessage = z.infer<typeof AuthMessage>;

// The filter schema is passed as its own type parameter: reading CHANNELS[C].filter inside a generic
// function widens it to the union of every channel's filter, and the inferred filter type collapses
// to Record<string, never>.
function subscribeTo<C extends ChannelName, F extends z.ZodType>(channel: C, filter: F) {
  return z.strictObject({
    type: z.literal('subscribe'),
    id: RequestId.optional(),
    channel: z.literal(channel),
    filter: z.optional(filter),
    since: SinceCursor.optional(),
  });
}

/** `subscribe`: join a channel, optionally with a typed filter and a resume cursor. */
type SubscribeTo = { [C in ChannelName]: ChannelFilterSchemas[C] extends infer F extends z.ZodType ? ReturnType<typeof subscribeTo<C, F>> : never }[ChannelName];
export const SubscribeMessage = z
  // One variant per registry channel, each with that channel's filter.
  .discriminatedUnion('channel', CHANNEL_NAMES.map((c) => subscribeTo(c, CHANNELS[c].filter)) as unknown as [SubscribeTo, ...SubscribeTo[]])
  .meta({
    id: 'SubscribeMessage',
    title: 'subscribe',
    description: 'Join a registry channel, optionally with the channel\'s typed `filter` and a `since` cursor. Reply: `subscribed`, then the replayed events, then live events; or `error`.',
    examples: [{ type: 'subscribe', id: 'r1', channel: 'threats', filter: { min_score: 7 }, since: { epoch: 'k3v9q1', seq: 41 } }],
  });
export type SubscribeMessage = z.infer<typeof SubscribeMessage>;

/** `unsubscribe`: leave a channel. */
export const UnsubscribeMessage = z
  .strictObject({ type: z.literal('unsubscribe'), id: RequestId.optional(), channel: ChannelNameSchema })
  .meta({
    id: 'UnsubscribeMessage',
    title: 'unsubscribe',
    description: 'Leave a channel. Reply: `unsubscribed` or `error`.',
    examples: [{ type: 'unsubscribe', id: 'r2', channel: 'threats' }],
  });
export type UnsubscribeMessage = z.infer<typeof UnsubscribeMessage>;

/** `ping`: application-level keepalive (browsers cannot send protocol pings). */
export const PingMessage = z
  .strictObject({ type: z.literal('ping'), id: RequestId.optional() })
  .meta({
    id: 'PingMessage',
    title: 'ping',
    description: 'Application-level keepalive (browsers cannot send protocol pings). Reply: `pong`.',
    examples: [{ type: 'ping', id: 'p1' }],
  });
export type PingMessage = z.infer<typeof PingMessage>;

/** The schema of each client message type: the one list of client messages. */
export const CLIENT_MESSAGES = {
  auth: AuthMessage,
  subscribe: SubscribeMessage,
  unsubscribe: UnsubscribeMessage,
  ping: PingMessage,
} as const;
type ClientMessageSchema = (typeof CLIENT_MESSAGES)[keyof typeof CLIENT_MESSAGES];

/** Every message a client may send. */
export const ClientMessage = z
  .discriminatedUnion('type', Object.values(CLIENT_MESSAGES) as [ClientMessageSchema, ...ClientMessageSchema[]])
  .meta({
    id: 'ClientMessage',
    title: 'Client message',
    description: 'Any client → server message, discriminated on `type`.',
    examples: [{ type: 'subscribe', id: 'r1', channel: 'alerts', filter: { severities: ['critical'] } }, { type: 'ping' }],
  });
export type ClientMessage = z.infer<typeof ClientMessage>;
/** The `type` of a client message. */
export type ClientMessageType = ClientMessage['type'];
/** Every client message type. */
export const CLIENT_MESSAGE_TYPES = Object.keys(CLIENT_MESSAGES) as ClientMessageType[];

// ---------------------------------------------------------------------------------------------------
// Server → client

/** `welcome`: sent once when a connection opens. */
export const WelcomeMessage = z
  .strictObject({
    type: z.literal('welcome'),
    connection_id: z.string(),
    protocol: z.literal(PROTOCOL_VERSION),
    server_time: Timestamp,
    heartbeat_s: z.number().positive(),
    max_message_bytes: z.int().positive(),
    channels: z.array(ChannelNameSchema),
    principal: Principal.nullable(),
  })
  .meta({
    id: 'WelcomeMessage',
    title: 'welcome',
    description: 'First frame on every connection: protocol version, limits, channels and the principal.',
    examples: [
      {
        type: 'welcome',
        connection_id: 'c_9f2k',
        protocol: 1,
        server_time: 1764115200.5,
        heartbeat_s: 25,
        max_message_bytes: 65536,
        channels: ['threats', 'alerts', 'status', 'metrics', 'events', 'correlations', 'system'],
        principal: null,
      },
    ],
  });
export type WelcomeMessage = z.infer<typeof WelcomeMessage>;

/** `authenticated`: reply to `auth`. (Credentials sent with the upgrade show up as `welcome.principal`.) */
export const AuthenticatedMessage = z
  .strictObject({
    type: z.literal('authenticated'),
    id: RequestId.optional(),
    principal: Principal,
    /** Token expiry (Unix seconds), or null for tokens without `exp`. */
    expires_at: Timestamp.nullable(),
  })
  .meta({
    id: 'AuthenticatedMessage',
    title: 'authenticated',
    description: 'Reply to `auth`: the principal and when its token expires.',
    examples: [
      {
        type: 'authenticated',
        id: 'a1',
        principal: { id: 'u_42', username: 'alice', roles: ['analyst'], permissions: ['read:events', 'read:alerts'] },
        expires_at: 1764118800,
      },
    ],
  });
export type AuthenticatedMessage = z.infer<typeof AuthenticatedMessage>;

/** `subscribed`: the subscription is live; `replayed` events follow, then live ones. */
export const SubscribedMessage = z
  .strictObject({
    type: z.literal('subscribed'),
    id: RequestId.optional(),
    channel: ChannelNameSchema,
    epoch: Epoch,
    /** The channel's seq at subscription time, after the replayed events. */
    seq: z.int().min(0),
    /** True when every event after `since` was replayed; false means the client should reload state. */
    recovered: z.boolean(),
    /** How many events follow as replay (history or latest-per-key snapshot). */
    replayed: z.int().min(0),
  })
  .meta({
    id: 'SubscribedMessage',
    title: 'subscribed',
    description: 'Reply to `subscribe`: the channel is live; `replayed` history or snapshot events follow, then live ones.',
    examples: [{ type: 'subscribed', id: 'r1', channel: 'threats', epoch: 'k3v9q1', seq: 44, recovered: true, replayed: 3 }],
  });
export type SubscribedMessage = z.infer<typeof SubscribedMessage>;

/** `unsubscribed`: reply to `unsubscribe`. */
export const UnsubscribedMessage = z
  .strictObject({ type: z.literal('unsubscribed'), id: RequestId.optional(), channel: ChannelNameSchema })
  .meta({
    id: 'UnsubscribedMessage',
    title: 'unsubscribed',
    description: 'Reply to `unsubscribe`.',
    examples: [{ type: 'unsubscribed', id: 'r2', channel: 'threats' }],
  });
export type UnsubscribedMessage = z.infer<typeof UnsubscribedMessage>;

/** `pong`: reply to `ping`. */
export const PongMessage = z
  .strictObject({ type: z.literal('pong'), id: RequestId.optional(), server_time: Timestamp })
  .meta({
    id: 'PongMessage',
    title: 'pong',
    description: 'Reply to `ping`, with the server time.',
    examples: [{ type: 'pong', id: 'p1', server_time: 1764115200.5 }],
  });
export type PongMessage = z.infer<typeof PongMessage>;

/** `error`: a request failed; `id` echoes the request's id when it had one. */
export const ErrorMessage = z
  .strictObject({
    type: z.literal('error'),
    id: RequestId.optional(),
    code: ErrorCodeSchema,
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({
    id: 'ErrorMessage',
    title: 'error',
    description: 'A request failed (`id` echoes the request\'s id) or a frame could not be parsed.',
    examples: [{ type: 'error', id: 'r1', code: 'forbidden', message: 'channel alerts requires read:alerts' }],
  });
export type ErrorMessage = z.infer<typeof ErrorMessage>;

/** `auth_expiring`: about 30 s before the token expires; send a new `auth` to stay connected. */
export const AuthExpiringMessage = z
  .strictObject({ type: z.literal('auth_expiring'), expires_at: Timestamp })
  .meta({
    id: 'AuthExpiringMessage',
    title: 'auth_expiring',
    description: 'About 30 s before the token expires; send a new `auth` to stay connected.',
    examples: [{ type: 'auth_expiring', expires_at: 1764118800 }],
  });
export type AuthExpiringMessage = z.infer<typeof AuthExpiringMessage>;

/** The schema of each server control message type: the one list of server control messages. */
export const SERVER_CONTROL_MESSAGES = {
  welcome: WelcomeMessage,
  authenticated: AuthenticatedMessage,
  subscribed: SubscribedMessage,
  unsubscribed: UnsubscribedMessage,
  pong: PongMessage,
  error: ErrorMessage,
  auth_expiring: AuthExpiringMessage,
} as const;
type ServerControlSchema = (typeof SERVER_CONTROL_MESSAGES)[keyof typeof SERVER_CONTROL_MESSAGES];

/** Every control (non-event) message the server sends. */
export const ServerControlMessage = z
  .discriminatedUnion('type', Object.values(SERVER_CONTROL_MESSAGES) as [ServerControlSchema, ...ServerControlSchema[]])
  .meta({
    id: 'ServerControlMessage',
    title: 'Server control message',
    description: 'Any server → client message that is not an event, discriminated on `type`.',
    examples: [{ type: 'pong', id: 'p1', server_time: 1764115200.5 }],
  });
export type ServerControlMessage = z.infer<typeof ServerControlMessage>;
/** The `type` of a server control message. */
export type ServerControlMessageType = ServerControlMessage['type'];

/** Everything the server sends for a given envelope union (the default: every event type's). */
export function serverMessageOf<E extends z.ZodType>(envelope: E) {
  return z.union([ServerControlMessage, envelope]).meta({
  id: 'ServerMessage',
  title: 'Server message',
  description: 'Any server → client frame: a control message or an event envelope.',
  examples: [
    { type: 'subscribed', id: 'r1', channel: 'threats', epoch: 'k3v9q1', seq: 44, recovered: true, replayed: 3 },
    {
      type: 'threat.new',
      channel: 'threats',
      id: 'evt_01JD9K3V9Q1ZC8W7',
      seq: 42,
      epoch: 'k3v9q1',
      ts: 1764115200.123,
      data: { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: 1764115200.101 },
    },
  ],
});
}

/** Everything the server sends: control messages and event envelopes. */
export const ServerMessage = serverMessageOf(EventEnvelope);
export type ServerMessage = z.infer<typeof ServerMessage>;

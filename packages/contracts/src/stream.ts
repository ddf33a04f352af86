import { z } from 'zod';
import { CHANNEL_NAMES } from './channels.js';
import type { ChannelName } from './wire.js';

// The Server-Sent Events transport (docs/protocol.md#server-sent-events): `GET /v1/stream` answers
// `text/event-stream` with the same messages as /ws, one SSE event each; `POST /v1/stream-tickets`
// trades a JWT for a short-lived, single-use ticket an EventSource can put in its URL.

/** Seconds a stream ticket stays valid. */
export const STREAM_TICKET_TTL_S = 30;
/** Stream tickets one gateway process issues per {@link STREAM_TICKET_TTL_S}; past it `503 unavailable` names the limit. */
export const MAX_STREAM_TICKETS = 10_000;

/** The query parameter holding the JSON filter of `channel`. */
export const streamFilterParam = (channel: ChannelName): `filter.${ChannelName}` => `filter.${channel}`;

const filterParams = Object.fromEntries(
  CHANNEL_NAMES.map((channel) => [
    streamFilterParam(channel),
    z
      .string()
      .max(65_536)
      .optional()
      .meta({ description: `The \`${channel}\` filter as JSON (schemas/filters/${channel}.json), URL-encoded.` }),
  ]),
) as Record<`filter.${ChannelName}`, z.ZodOptional<z.ZodString>>;

/** Query of `GET /v1/stream`; every value is text (filters are JSON inside it). */
export const StreamQuery = z
  .strictObject({
    channels: z.string().max(1024).optional().meta({ description: 'Comma-separated channel names, e.g. `threats,alerts`; none: only `welcome` and heartbeats.' }),
    since: z
      .string()
      .max(2048)
      .optional()
      .meta({ description: 'Resume cursor `<channel>:<epoch>:<seq>,…` (the format of the stream\'s `id:`); a `Last-Event-ID` header wins for the channels it names.' }),
    ticket: z.string().max(4096).optional().meta({ description: 'A ticket from `POST /v1/stream-tickets` (for EventSource, which cannot send Authorization); single use.' }),
    ...filterParams,
  })
  .meta({
    id: 'StreamQuery',
    title: 'Stream query',
    description: 'Channels, per-channel filters, resume cursor and ticket of `GET /v1/stream`.',
    examples: [{ channels: 'threats,alerts', 'filter.threats': '{"min_score":7}', since: 'threats:k3v9q1:41,alerts:k3v9q1:7' }],
  });
export type StreamQuery = z.infer<typeof StreamQuery>;

/** `201` body of `POST /v1/stream-tickets`. */
export const StreamTicketResponse = z
  .strictObject({
    /** Opaque; put it in `GET /v1/stream?ticket=`. */
    ticket: z.string().min(1),
    /** When the ticket stops being accepted (Unix seconds). */
    expires_at: z.number(),
  })
  .meta({
    id: 'StreamTicketResponse',
    title: 'Stream ticket',
    description: `A single-use ticket for \`GET /v1/stream?ticket=\`, valid ${STREAM_TICKET_TTL_S} s; the stream acts as the token that obtained it and ends when that token expires.`,
    examples: [{ ticket: 'st1.q83vEjRWeJA…', expires_at: 1764115230.5 }],
  });
export type StreamTicketResponse = z.infer<typeof StreamTicketResponse>;

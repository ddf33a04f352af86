import {
  CHANNELS,
  NsError,
  StreamCursorError,
  StreamQuery,
  UNRESTRICTED_PRINCIPAL,
  isChannelName,
  parseClientMessage,
  parseStreamCursor,
  streamFilterParam,
  type ChannelName,
  type StreamCursor,
  type StreamTicketResponse,
  type SubscribeMessage,
} from '@ns/contracts';
import type { BurstLimiter, SseStreams } from '@ns/ws-server';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthConfig } from '../config.js';
import type { HttpAuth } from '../http-auth.js';
import type { Lifecycle } from '../lifecycle.js';
import type { TokenVerifier } from '../ports.js';
import type { Revocations } from '../revocation/revocations.js';
import type { StreamTickets, TicketGrant } from '../stream-tickets.js';
import { invalidMessage } from './invalid.js';

/** A grant with the revocation watch of the token behind it. */
type WatchedGrant = TicketGrant & { watch?: ((onRevoked: () => void) => () => void) | undefined };

/** Counters of the stream routes (read by the metrics). */
export interface StreamRouteStats {
  /** Streams refused before they started, by reason. */
  rejected: Record<string, number>;
  /** Refused credentials (bad token or ticket). */
  authFailures: number;
  ticketsIssued: number;
}

/** Options of {@link registerStreamRoutes}. */
export interface StreamRouteOptions {
  streams: SseStreams;
  tickets: StreamTickets;
  auth: HttpAuth;
  mode: AuthConfig['mode'];
  /** Verifies JWTs; `null` when no key material is configured (local mode: every token refused). */
  verifier: TokenVerifier | null;
  allowAnonymous: boolean;
  lifecycle: Lifecycle;
  /** The per-IP connect-rate limiter /ws uses (one budget for both transports). */
  connectLimiter: BurstLimiter;
  /** `POST /v1/stream-tickets` per client per second before 429. */
  ticketRatePerSecond: number;
  stats: StreamRouteStats;
  /** Token revocation: a ticket of a revoked token is refused, and a stream ends when its token is revoked. */
  revocations?: Revocations;
}

const bearer = (req: FastifyRequest): string | undefined => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
};

/** The stream's channels (each once, request order) and typed filters; throws NsError naming the parameter. */
function parseSelection(query: StreamQuery): { channels: ChannelName[]; filters: Partial<Record<ChannelName, SubscribeMessage['filter']>> } {
  const names = [...new Set((query.channels ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  const unknown = names.filter((n) => !isChannelName(n));
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 10).map((n) => JSON.stringify(n.slice(0, 64)));
    throw new NsError('unknown_channel', `unknown channel${unknown.length === 1 ? '' : 's'} in channels: ${shown.join(', ')}`, {
      details: { channels: unknown.slice(0, 10).map((n) => n.slice(0, 64)), count: unknown.length },
    });
  }
  const channels = names as ChannelName[];
  const filters: Partial<Record<ChannelName, SubscribeMessage['filter']>> = {};
  for (const channel of Object.keys(CHANNELS) as ChannelName[]) {
    const param = streamFilterParam(channel);
    const text = query[param];
    if (text === undefined) continue;
    if (!channels.includes(channel)) throw new NsError('invalid_message', `${param} is given but channels does not name ${channel}`, { issues: [{ path: param, code: 'unexpected', message: `${channel} is not requested` }] });
    // The filter is checked exactly as a `subscribe` frame's on /ws (schema, depth, list sizes).
    const parsed = parseClientMessage(`{"type":"subscribe","channel":${JSON.stringify(channel)},"filter":${text}}`);
    if (!parsed.success) {
      const e = parsed.error;
      if (e.code === 'invalid_json') throw new NsError('invalid_json', `${param} is not valid JSON`, { issues: [{ path: param, code: 'invalid_json', message: e.message }] });
      const issues = (e.issues ?? []).map((i) => ({ ...i, path: i.path.replace(/^filter/, param) }));
      throw new NsError(e.code, `${issues[0]?.path ?? param}: ${issues[0]?.message ?? e.message}`, { issues });
    }
    filters[channel] = (parsed.data as SubscribeMessage).filter;
  }
  return { channels, filters };
}

/** `?since=` overlaid with `Last-Event-ID` (an EventSource's own reconnect knows better); throws NsError. */
function parseCursor(req: FastifyRequest, since: string | undefined): StreamCursor {
  const parse = (text: string, where: string): StreamCursor => {
    try {
      return parseStreamCursor(text);
    } catch (err) {
      const message = err instanceof StreamCursorError ? err.message : 'invalid cursor';
      throw new NsError('invalid_message', `${where}: ${message}`, { issues: [{ path: where, code: 'invalid_cursor', message }] });
    }
  };
  const header = req.headers['last-event-id'];
  return Object.assign(parse(since ?? '', 'since'), typeof header === 'string' ? parse(header, 'Last-Event-ID') : {});
}

/**
 * `GET /v1/stream` and `POST /v1/stream-tickets` (docs/protocol.md#server-sent-events): the /ws
 * protocol's server side as Server-Sent Events, for networks that break WebSocket upgrades. Same
 * credentials (Authorization header, or a single-use ticket for EventSource; never a JWT in the URL),
 * same channel permissions and filters (the manager's subscribe path), same connection budget (the
 * HTTP admission counts a stream as a request in flight) and per-IP connect rate as /ws.
 */
export function registerStreamRoutes(app: FastifyInstance, o: StreamRouteOptions): void {
  const reject = (reason: string, err: NsError): never => {
    o.stats.rejected[reason] = (o.stats.rejected[reason] ?? 0) + 1;
    throw err;
  };

  /** The principal behind a bearer JWT, or `null` without one; throws NsError on a bad one. */
  const fromBearer = async (req: FastifyRequest): Promise<WatchedGrant | null> => {
    const token = bearer(req);
    if (token === undefined) return null;
    if (o.verifier === null) {
      o.stats.authFailures++;
      return reject('auth', new NsError('unauthorized', 'this gateway has no JWT key configured (NS_JWT_SECRET / NS_JWT_PUBLIC_KEY_FILE); tokens are refused'));
    }
    try {
      const v = await o.verifier.verify(token);
      if (v.expiresAt !== null && v.expiresAt * 1000 <= Date.now()) throw new NsError('token_expired', 'token has expired');
      return { principal: v.principal, expiresAt: v.expiresAt, tokenId: v.tokenId, issuedAt: v.issuedAt, watch: v.watch };
    } catch (err) {
      o.stats.authFailures++;
      const e = err instanceof NsError && (err.code === 'token_expired' || err.code === 'unauthorized') ? err : new NsError('unauthorized', 'invalid token', { cause: err });
      return reject('auth', e);
    }
  };

  app.get<{ Querystring: Record<string, string> }>('/v1/stream', async (req, reply) => {
    if (o.lifecycle.draining) reject('draining', new NsError('unavailable', 'gateway is shutting down; connect to another instance'));
    o.auth.checkOrigin(req);
    if ('token' in req.query || 'access_token' in req.query) {
      reject('invalid', new NsError('invalid_message', 'a JWT is never accepted in the URL: send Authorization: Bearer <jwt>, or get a ticket from POST /v1/stream-tickets', { issues: [{ path: 'token', code: 'unrecognized_keys', message: 'use a ticket' }] }));
    }
    const q = StreamQuery.safeParse(req.query);
    if (!q.success) reject('invalid', invalidMessage(q.error, { whole: 'query' }));
    const query = q.data as StreamQuery;
    let selection: ReturnType<typeof parseSelection>;
    let cursor: StreamCursor;
    try {
      selection = parseSelection(query);
      cursor = parseCursor(req, query.since);
    } catch (err) {
      return reject('invalid', err as NsError);
    }
    let grant: WatchedGrant | null;
    if (o.mode === 'none') grant = { principal: UNRESTRICTED_PRINCIPAL, expiresAt: null };
    else if (query.ticket !== undefined) {
      try {
        const redeemed: WatchedGrant = o.tickets.redeem(query.ticket);
        const revocations = o.revocations;
        if (revocations !== undefined) {
          // The token behind the ticket may have been revoked since it was issued.
          const facts = { user: redeemed.principal.id, tokenId: redeemed.tokenId, issuedAt: redeemed.issuedAt };
          revocations.check(facts);
          redeemed.watch = (onRevoked) => revocations.watch(facts, onRevoked);
        }
        grant = redeemed;
      } catch (err) {
        o.stats.authFailures++;
        return reject('auth', err as NsError);
      }
    } else grant = await fromBearer(req);
    if (grant === null && !o.allowAnonymous) {
      o.stats.authFailures++;
      reject('auth', new NsError('unauthorized', 'the stream requires Authorization: Bearer <jwt> or ?ticket= from POST /v1/stream-tickets'));
    }
    const { allowed, retryAfterMs } = await o.connectLimiter.take(req.ip);
    if (!allowed) {
      void reply.header('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
      reject('ip_connect_rate', new NsError('rate_limited', 'too many new connections from this address', { details: { retry_after_ms: retryAfterMs } }));
    }
    // From here on the response is the stream: Fastify no longer answers for it.
    reply.hijack();
    req.raw.socket.setNoDelay(true);
    await o.streams.open(reply.raw, {
      principal: grant?.principal ?? null,
      expiresAt: grant?.expiresAt ?? null,
      ...(grant?.watch === undefined ? {} : { watch: grant.watch }),
      channels: selection.channels,
      filters: selection.filters,
      cursor,
      remoteAddress: req.ip,
    });
  });

  app.post(
    '/v1/stream-tickets',
    { config: { rateLimit: { max: o.ticketRatePerSecond, timeWindow: 1000 } } },
    async (req, reply) => {
      if (o.lifecycle.draining) throw new NsError('unavailable', 'gateway is shutting down; get a ticket from another instance');
      o.auth.checkOrigin(req);
      const grant = o.mode === 'none' ? { principal: UNRESTRICTED_PRINCIPAL, expiresAt: null } : await fromBearer(req);
      if (grant === null) {
        o.stats.authFailures++;
        throw new NsError('unauthorized', 'a stream ticket requires Authorization: Bearer <jwt>');
      }
      const { watch: _watch, ...ticketGrant } = grant as WatchedGrant;
      const body: StreamTicketResponse = o.tickets.issue(ticketGrant);
      o.stats.ticketsIssued++;
      return reply.code(201).send(body);
    },
  );
}

import {
  CHANNEL_NAMES,
  CHANNELS,
  HistoryQuery,
  historyToJson,
  isChannelName,
  NsError,
  typesForChannel,
  type ChannelInfo,
  type ChannelName,
  type ChannelPresence,
  type ChannelSpec,
  type ChannelsResponse,
  type HistoryResponse,
} from '@ns/contracts';
import type { FastifyInstance } from 'fastify';
import type { HttpAuth } from '../http-auth.js';
import type { Lifecycle } from '../lifecycle.js';
import type { ConnectionCounts } from '../cluster-metrics.js';
import type { ManagerStatsSource, PublishingBus } from '../ports.js';
import { parseOrThrow } from './invalid.js';

/** Options of {@link registerChannelRoutes}. */
export interface ChannelRoutesOptions {
  bus: PublishingBus;
  auth: HttpAuth;
  lifecycle: Lifecycle;
  manager?: ManagerStatsSource;
  /**
   * Subscriber counts to report instead of `manager`'s own: under NS_WORKERS, the whole cluster's
   * (each worker's manager only knows its own connections).
   */
  counts?: () => Promise<Pick<ConnectionCounts, 'subscriptions'>>;
  /** Cluster-wide connections and users per channel (presence); preferred over `counts` and `manager`. */
  presence?: { counts(): Promise<Record<ChannelName, ChannelPresence>> };
}

/** Largest history page (from the contracts, kept here for the route's callers). */
export { MAX_HISTORY_LIMIT } from '@ns/contracts';

/**
 * `GET /v1/channels`: the registry with live subscriber and user counts (presence: every instance sharing
 * the engine; without it this process's, or under NS_WORKERS the whole cluster's) and each channel's epoch/seq.
 * `GET /v1/channels/:channel/history?since_seq=&limit=`: retained events, authorized like a subscription.
 */
export function registerChannelRoutes(app: FastifyInstance, o: ChannelRoutesOptions): void {
  const requireEngine = () => {
    if (!o.lifecycle.engineReady) throw new NsError('unavailable', `engine ${o.bus.engine.name} is not connected`);
  };

  app.get('/v1/channels', async () => {
    requireEngine();
    const heads = await o.bus.heads();
    let present: Record<ChannelName, ChannelPresence> | undefined;
    if (o.presence !== undefined) {
      try {
        present = await o.presence.counts();
      } catch (err) {
        throw new NsError('unavailable', 'presence of the other gateway instances cannot be read (redis unreachable)', { cause: err });
      }
    }
    const subs = (present !== undefined ? {} : o.counts !== undefined ? (await o.counts()).subscriptions : o.manager?.stats().subscriptions) ?? {};
    const channels: ChannelInfo[] = CHANNEL_NAMES.map((name) => {
      const spec: ChannelSpec = CHANNELS[name];
      const history = historyToJson(spec.history);
      return {
        name,
        description: spec.description,
        types: typesForChannel(name),
        read_permission: spec.readPermission,
        delivery: spec.delivery,
        history,
        subscribers: present?.[name].connections ?? subs[name] ?? 0,
        ...(present !== undefined && { users: present[name].users }),
        epoch: heads[name]?.epoch ?? null,
        seq: heads[name]?.seq ?? 0,
      };
    });
    const body: ChannelsResponse = { channels };
    return body;
  });

  app.get<{ Params: { channel: string }; Querystring: Record<string, string> }>('/v1/channels/:channel/history', async (req, reply) => {
    const { channel } = req.params;
    if (!isChannelName(channel)) throw new NsError('unknown_channel', `unknown channel "${channel.slice(0, 64)}"`);
    await o.auth.authorizeRead(req, channel);
    const q = parseOrThrow(HistoryQuery, req.query, { whole: 'query' });
    requireEngine();
    const page = await o.bus.history(channel, { sinceSeq: q.since_seq ?? 0, limit: q.limit });
    // Events keep the JSON the bus serialized once; the page (a HistoryResponse) is assembled around
    // them, not re-encoded.
    const head = JSON.stringify({ channel, epoch: page.epoch, seq: page.seq } satisfies Omit<HistoryResponse, 'events'>);
    const body = `${head.slice(0, -1)},"events":[${page.events.map((e) => e.json).join(',')}]}`;
    return reply.type('application/json; charset=utf-8').send(body);
  });
}

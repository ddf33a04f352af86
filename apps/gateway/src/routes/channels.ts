import { CHANNEL_NAMES, CHANNELS, isChannelName, issuesFromZod, NsError, typesForChannel, type ChannelName } from '@ns/contracts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HttpAuth } from '../http-auth.js';
import type { Lifecycle } from '../lifecycle.js';
import type { ManagerStatsView, PublishingBus } from '../ports.js';

/** Options of {@link registerChannelRoutes}. */
export interface ChannelRoutesOptions {
  bus: PublishingBus;
  auth: HttpAuth;
  lifecycle: Lifecycle;
  manager?: { stats(): ManagerStatsView };
  /**
   * Subscriber counts to report instead of `manager`'s own: under NS_WORKERS, the whole cluster's
   * (each worker's manager only knows its own connections).
   */
  counts?: () => Promise<Pick<ManagerStatsView, 'subscriptions'>>;
}

/** Largest history page. */
export const MAX_HISTORY_LIMIT = 1000;

const HistoryQuery = z.strictObject({
  since_seq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_HISTORY_LIMIT).default(100),
});

/** One row of `GET /v1/channels`. */
export interface ChannelInfo {
  name: ChannelName;
  description: string;
  types: string[];
  read_permission: string | null;
  delivery: string;
  history: { kind: string; size?: number };
  subscribers: number;
  epoch: string | null;
  seq: number;
}

/**
 * `GET /v1/channels`: the registry with live subscriber counts (this process's, or under NS_WORKERS the
 * whole cluster's) and each channel's epoch/seq.
 * `GET /v1/channels/:channel/history?since_seq=&limit=`: retained events, authorized like a subscription.
 */
export function registerChannelRoutes(app: FastifyInstance, o: ChannelRoutesOptions): void {
  const requireEngine = () => {
    if (!o.lifecycle.engineReady) throw new NsError('unavailable', `engine ${o.bus.engine.name} is not connected`);
  };

  app.get('/v1/channels', async () => {
    requireEngine();
    const heads = await o.bus.heads();
    const subs = (o.counts !== undefined ? (await o.counts()).subscriptions : o.manager?.stats().subscriptions) ?? {};
    const channels: ChannelInfo[] = CHANNEL_NAMES.map((name) => {
      const spec = CHANNELS[name];
      const history = spec.history.kind === 'ring' ? { kind: 'ring', size: spec.history.size } : { kind: spec.history.kind };
      return {
        name,
        description: spec.description,
        types: typesForChannel(name),
        read_permission: spec.readPermission,
        delivery: spec.delivery,
        history,
        subscribers: subs[name] ?? 0,
        epoch: heads[name]?.epoch ?? null,
        seq: heads[name]?.seq ?? 0,
      };
    });
    return { channels };
  });

  app.get<{ Params: { channel: string }; Querystring: Record<string, string> }>('/v1/channels/:channel/history', async (req, reply) => {
    const { channel } = req.params;
    if (!isChannelName(channel)) throw new NsError('unknown_channel', `unknown channel "${channel.slice(0, 64)}"`);
    await o.auth.authorizeRead(req, channel);
    const q = HistoryQuery.safeParse(req.query);
    if (!q.success) {
      const issues = issuesFromZod(q.error);
      throw new NsError('invalid_message', `${issues[0]?.path}: ${issues[0]?.message}`, { issues });
    }
    requireEngine();
    const page = await o.bus.history(channel, { sinceSeq: q.data.since_seq ?? 0, limit: q.data.limit });
    // Events keep the JSON the bus serialized once; the page is assembled around it, not re-encoded.
    const head = JSON.stringify({ channel, epoch: page.epoch, seq: page.seq });
    const body = `${head.slice(0, -1)},"events":[${page.events.map((e) => e.json).join(',')}]}`;
    return reply.type('application/json; charset=utf-8').send(body);
  });
}

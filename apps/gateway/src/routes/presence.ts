import { isChannelName, NsError } from '@ns/contracts';
import type { FastifyInstance } from 'fastify';
import type { HttpAuth } from '../http-auth.js';
import type { Presence } from '../presence/index.js';

/** Options of {@link registerPresenceRoutes}. */
export interface PresenceRoutesOptions {
  presence: Presence;
  auth: HttpAuth;
}

/** Presence could not be read (Redis down): the answer would be this instance's part only, so none is given. */
export const presenceUnavailable = (err: unknown): NsError =>
  new NsError('unavailable', 'presence of the other gateway instances cannot be read (redis unreachable)', { cause: err });

/**
 * `GET /v1/presence/{channel}` (docs/protocol.md#presence-and-admin): for `admin` tokens, the users
 * subscribed to the channel on every instance, with their connection count and since when.
 */
export function registerPresenceRoutes(app: FastifyInstance, o: PresenceRoutesOptions): void {
  app.get<{ Params: { channel: string } }>('/v1/presence/:channel', async (req) => {
    await o.auth.principalWith(req, 'admin');
    const { channel } = req.params;
    if (!isChannelName(channel)) throw new NsError('unknown_channel', `unknown channel "${channel.slice(0, 64)}"`);
    try {
      return await o.presence.channel(channel);
    } catch (err) {
      throw presenceUnavailable(err);
    }
  });
}

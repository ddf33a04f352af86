import {
  ConnectionId,
  ConnectionsQuery,
  disconnectCloseReason,
  DisconnectQuery,
  DisconnectRequest,
  NsError,
  type DisconnectResponse,
} from '@ns/contracts';
import type { FastifyInstance } from 'fastify';
import type { HttpAuth } from '../http-auth.js';
import { ADMIN_DISCONNECT_CODE, type ConnectionTarget, type DisconnectRelay, type Presence } from '../presence/index.js';
import { parseOrThrow } from './invalid.js';
import { presenceUnavailable } from './presence.js';

/** Options of {@link registerConnectionRoutes}. */
export interface ConnectionRoutesOptions {
  presence: Presence;
  relay: DisconnectRelay;
  auth: HttpAuth;
}

/** Largest body of `POST /v1/disconnects`. */
const MAX_DISCONNECT_BODY_BYTES = 4 * 1024;

/**
 * The admin API of connections (docs/protocol.md#presence-and-admin), `admin` permission:
 * `GET /v1/connections` lists them on every instance; `DELETE /v1/connections/{id}` closes one and
 * `POST /v1/disconnects {user, reason}` every one of a user's, on whichever instance holds them, with
 * close code 4003 and the reason in the close frame.
 */
export function registerConnectionRoutes(app: FastifyInstance, o: ConnectionRoutesOptions): void {
  const admin = (req: Parameters<HttpAuth['principalWith']>[0]) => o.auth.principalWith(req, 'admin');

  app.get('/v1/connections', async (req) => {
    await admin(req);
    const query = parseOrThrow(ConnectionsQuery, req.query, { whole: 'query' });
    try {
      return await o.presence.connections(query);
    } catch (err) {
      throw presenceUnavailable(err);
    }
  });

  const disconnect = async (target: ConnectionTarget, reason: string | undefined, mustExist: boolean): Promise<DisconnectResponse> => {
    let found;
    try {
      found = await o.presence.locate(target);
    } catch (err) {
      throw presenceUnavailable(err);
    }
    if (mustExist && found.length === 0) throw new NsError('not_found', `no gateway instance holds connection ${'connection_id' in target ? target.connection_id : ''}`);
    const close = { code: ADMIN_DISCONNECT_CODE, reason: disconnectCloseReason(reason) };
    try {
      await o.relay.broadcast({ target, ...close });
    } catch (err) {
      throw new NsError('unavailable', 'the other gateway instances cannot be told (redis unreachable); nothing was closed there', { cause: err });
    }
    return { disconnected: found, ...close };
  };

  app.delete<{ Params: { id: string } }>('/v1/connections/:id', async (req) => {
    await admin(req);
    const id = parseOrThrow(ConnectionId, req.params.id, { prefix: ['id'] });
    const { reason } = parseOrThrow(DisconnectQuery, req.query, { whole: 'query' });
    return disconnect({ connection_id: id }, reason, true);
  });

  app.post('/v1/disconnects', { bodyLimit: MAX_DISCONNECT_BODY_BYTES }, async (req) => {
    await admin(req);
    const body = parseOrThrow(DisconnectRequest, req.body ?? {});
    return disconnect({ user: body.user }, body.reason, false);
  });
}

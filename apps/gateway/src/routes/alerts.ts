import { ALERT_ACTIONS, AlertActionRequest, AlertId, NsError, type AlertAction } from '@ns/contracts';
import type { FastifyInstance } from 'fastify';
import type { AlertActions } from '../alert-actions.js';
import type { HttpAuth } from '../http-auth.js';
import type { Lifecycle } from '../lifecycle.js';
import { parseOrThrow } from './invalid.js';

/** Options of {@link registerAlertRoutes}. */
export interface AlertRoutesOptions {
  actions: AlertActions;
  auth: HttpAuth;
  lifecycle: Lifecycle;
  engineName: string;
  /** Requests per client per second before 429. */
  ratePerSecond: number;
}

/** Largest body of an alert action: a 4096-character note, JSON-escaped, fits with room to spare. */
const MAX_ACTION_BODY_BYTES = 64 * 1024;

/**
 * `POST /v1/alerts/{id}/acknowledge` and `/resolve` (docs/protocol.md#alert-actions): for a JWT with
 * `write:alerts`, publishes `alert.acknowledged` / `alert.resolved` with `by` from the token and the
 * gateway's timestamp; a repeat answers the first with `duplicate: true`.
 */
export function registerAlertRoutes(app: FastifyInstance, o: AlertRoutesOptions): void {
  for (const action of Object.keys(ALERT_ACTIONS) as AlertAction[]) {
    app.post<{ Params: { id: string } }>(
      `/v1/alerts/:id/${action}`,
      { bodyLimit: MAX_ACTION_BODY_BYTES, config: { rateLimit: { max: o.ratePerSecond, timeWindow: 1000 } } },
      async (req) => {
        if (o.lifecycle.draining) throw new NsError('unavailable', 'gateway is shutting down; retry on another instance');
        const principal = await o.auth.principalWith(req, 'write:alerts');
        const alertId = parseOrThrow(AlertId, req.params.id, { prefix: ['id'] });
        const { note } = parseOrThrow(AlertActionRequest, req.body ?? {});
        if (!o.lifecycle.engineReady) throw new NsError('unavailable', `engine ${o.engineName} is not connected; nothing was recorded`);
        return o.actions.act({ action, alertId, principal, note });
      },
    );
  }
}

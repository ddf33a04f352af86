import { z } from 'zod';
import { AlertStateData } from './events.js';
import { EventId, ShortText } from './primitives.js';

// Acknowledging and resolving an alert over HTTP (docs/protocol.md#alert-actions): the gateway
// publishes `alert.acknowledged` / `alert.resolved` on the analyst's behalf, `by` taken from the token.

/** The actions of `POST /v1/alerts/{id}/{action}`, by the event type each publishes. */
export const ALERT_ACTIONS = { acknowledge: 'alert.acknowledged', resolve: 'alert.resolved' } as const;
/** `acknowledge` or `resolve`. */
export type AlertAction = keyof typeof ALERT_ACTIONS;

/** The `{id}` of `POST /v1/alerts/{id}/…`: the alert's id as `alert.new` carried it (URL-encoded in the path). */
export const AlertId = ShortText;

/** Body of `POST /v1/alerts/{id}/acknowledge` and `/resolve` (optional: no body means no note). */
export const AlertActionRequest = z
  .strictObject({
    /** Free text shown with the state change, e.g. what the analyst is doing about it. */
    note: z.string().max(4096).optional(),
  })
  .meta({
    id: 'AlertActionRequest',
    title: 'Alert action',
    description: 'An optional note. Who acted is the token\'s user and when is the gateway\'s clock; neither is taken from the body.',
    examples: [{}, { note: 'investigating; blocked 203.0.113.7 at the edge' }],
  });
export type AlertActionRequest = z.infer<typeof AlertActionRequest>;

/** `200` body of `POST /v1/alerts/{id}/acknowledge` and `/resolve`: the event that records the action. */
export const AlertActionResponse = z
  .strictObject({
    id: EventId,
    channel: z.literal('alerts'),
    seq: z.int().positive(),
    type: z.enum(Object.values(ALERT_ACTIONS) as ['alert.acknowledged', 'alert.resolved']),
    data: AlertStateData,
    /** True when the alert already had this action: nothing new was published; this is the first one. */
    duplicate: z.boolean(),
  })
  .meta({
    id: 'AlertActionResponse',
    title: 'Alert action result',
    description: 'The `alert.acknowledged` / `alert.resolved` event recording the action; `duplicate: true` answers a repeat with the first one.',
    examples: [
      {
        id: 'alert-ack-6f1c0e2b9d4a7c35a1e08b2f4d6c9e17',
        channel: 'alerts',
        seq: 43,
        type: 'alert.acknowledged',
        data: { id: 'alert_123', by: 'alice', timestamp: 1764115260.5, note: 'investigating' },
        duplicate: false,
      },
    ],
  });
export type AlertActionResponse = z.infer<typeof AlertActionResponse>;

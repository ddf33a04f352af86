import type { AlertData, EventType, MetricsData, StatusData, ThreatData } from './events.js';
import type { PublishEventOf, PublishResult } from './publish.js';

/** Options of the `broadcast*` methods. */
export interface BroadcastOptions {
  /** Event id for idempotent publishing; generated when absent. */
  id?: string;
}

/**
 * The seed's broadcaster contract (`broadcast_threat`, `broadcast_alert`), plus status, metrics and a
 * generic `publish`. Implemented in-process (event bus, WebSocket manager) and over HTTP (the Python
 * publisher). Each method resolves once the event is accepted, with its assigned id, channel and seq.
 */
export interface IWebSocketBroadcaster {
  /** Publishes a `threat.new` event (the seed's `broadcast_threat`). */
  broadcastThreat(threat: ThreatData, options?: BroadcastOptions): Promise<PublishResult>;
  /** Publishes an `alert.new` event (the seed's `broadcast_alert`). */
  broadcastAlert(alert: AlertData, options?: BroadcastOptions): Promise<PublishResult>;
  /** Publishes a `status.update` event (latest value per component). */
  broadcastStatus(status: StatusData, options?: BroadcastOptions): Promise<PublishResult>;
  /** Publishes a `metrics.update` event (latest value per component). */
  broadcastMetrics(metrics: MetricsData, options?: BroadcastOptions): Promise<PublishResult>;
  /** Publishes any event type; rejects with an `NsError` when it is invalid or cannot be stored. */
  publish<T extends EventType>(event: PublishEventOf<T>): Promise<PublishResult>;
}

/** The event type each `broadcast*` method publishes. */
export const BROADCASTER_METHODS = {
  broadcastThreat: 'threat.new',
  broadcastAlert: 'alert.new',
  broadcastStatus: 'status.update',
  broadcastMetrics: 'metrics.update',
} as const satisfies Record<Exclude<keyof IWebSocketBroadcaster, 'publish'>, EventType>;

/**
 * Builds an {@link IWebSocketBroadcaster} from one `publish` function, so every implementation maps
 * the `broadcast*` methods to event types the same way.
 */
export function broadcasterFrom(
  publish: (event: PublishEventOf<EventType>) => Promise<PublishResult>,
): IWebSocketBroadcaster {
  const send = <T extends EventType>(type: T, data: PublishEventOf<T>['data'], options?: BroadcastOptions) =>
    publish(options?.id === undefined ? { type, data } : { type, data, id: options.id });
  return {
    broadcastThreat: (threat, options) => send('threat.new', threat, options),
    broadcastAlert: (alert, options) => send('alert.new', alert, options),
    broadcastStatus: (status, options) => send('status.update', status, options),
    broadcastMetrics: (metrics, options) => send('metrics.update', metrics, options),
    publish: (event) => publish(event as PublishEventOf<EventType>),
  };
}

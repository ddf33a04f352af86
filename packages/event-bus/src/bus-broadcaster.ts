import { broadcasterFrom, type IWebSocketBroadcaster } from '@ns/contracts';
import type { EventBus } from './event-bus.js';

/**
 * The seed's broadcaster interface (`broadcastThreat`, `broadcastAlert`, …) implemented in-process
 * on top of an {@link EventBus}: each call publishes through the bus and resolves with `{id, channel, seq}`.
 */
export class BusBroadcaster implements IWebSocketBroadcaster {
  readonly broadcastThreat: IWebSocketBroadcaster['broadcastThreat'];
  readonly broadcastAlert: IWebSocketBroadcaster['broadcastAlert'];
  readonly broadcastStatus: IWebSocketBroadcaster['broadcastStatus'];
  readonly broadcastMetrics: IWebSocketBroadcaster['broadcastMetrics'];
  readonly publish: IWebSocketBroadcaster['publish'];

  constructor(bus: EventBus) {
    const broadcaster = broadcasterFrom((event) => bus.publish(event));
    this.broadcastThreat = broadcaster.broadcastThreat;
    this.broadcastAlert = broadcaster.broadcastAlert;
    this.broadcastStatus = broadcaster.broadcastStatus;
    this.broadcastMetrics = broadcaster.broadcastMetrics;
    this.publish = broadcaster.publish;
  }
}

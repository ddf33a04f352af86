import { CHANNEL_NAMES, type ChannelName, type ChannelPresence } from '@ns/contracts';
import type { Registry } from 'prom-client';
import { registerSnapshotMetric } from '../snapshot-metric.js';

/**
 * `ns_presence_connections{channel}` and `ns_presence_users{channel}`: cluster-wide presence, read at
 * scrape time. Every instance reports the same cluster-wide value, so NS_WORKERS' aggregation takes the
 * maximum rather than the sum. A scrape while presence cannot be read reports no samples rather than
 * this instance's part as if it were the whole.
 */
export function registerPresenceMetrics(registry: Registry, presence: { counts(): Promise<Record<ChannelName, ChannelPresence>> }): void {
  // Both metrics are read in one scrape: one presence read serves both.
  let pending: Promise<Record<ChannelName, ChannelPresence> | undefined> | undefined;
  const read = () => {
    pending ??= presence
      .counts()
      .catch(() => undefined)
      .finally(() => setImmediate(() => (pending = undefined)));
    return pending;
  };
  for (const [name, field, help] of [
    ['ns_presence_connections', 'connections', 'Connections subscribed per channel, on every gateway instance sharing the engine.'],
    ['ns_presence_users', 'users', 'Distinct authenticated users subscribed per channel, on every gateway instance sharing the engine.'],
  ] as const) {
    registerSnapshotMetric(registry, {
      name,
      help,
      type: 'gauge',
      aggregator: 'max',
      read: async () => {
        const counts = await read();
        return counts === undefined ? [] : CHANNEL_NAMES.map((channel) => ({ labels: { channel }, value: counts[channel][field] }));
      },
    });
  }
}
